"""The assistant: answers shoppers' post-purchase questions from live order data, takes
the safe actions they confirm, and hands the rest to a person with the conversation."""
