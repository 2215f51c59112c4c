"""One file per child (一人一档): basic data, visits, work log, care actions, problems and file checks."""
