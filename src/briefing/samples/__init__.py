"""Sample data (clearly marked as such) in the two publishers' shapes, and a loopback server for it."""
