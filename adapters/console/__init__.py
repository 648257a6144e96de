"""The terminal front door: no token, same service calls as the chat platforms."""
