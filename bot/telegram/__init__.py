"""The Telegram front end: access control, HTML rendering, thin handlers, and the PTB application."""
