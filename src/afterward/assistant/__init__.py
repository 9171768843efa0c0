"""The assistant: what shoppers ask after they buy (where is my order, a return, a
refund, ...), recognised in English, German, French and Portuguese, answered from the
store's live data, the safe actions they confirm taken, and the rest handed to a person
with the conversation."""
