"""One router per noun: vehicles, liens, loans, participants, status, writes."""
