"""Hello: greets, counts its greetings in a job, and keeps nothing about customers."""
