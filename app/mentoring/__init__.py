"""One-to-one pairings (tasks 10 and 11): teachers or volunteers, incl. the Women's Federation's caring mothers."""
