"""The county bureau's reports: activity per department against the plan, exports."""
