"""What the application keeps about its users and its own running: request metrics, logs,
rate limits and conversation history."""
