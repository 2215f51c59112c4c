"""Activities and their shifts: publishing, volunteer sign-up and waitlist, QR codes, calendars and check-in."""
