"""khuyenhoc-bot: a chatbot for the Study Promotion Association's learning-society campaign."""

__version__ = "0.1.0"
