"""The assistant: what shoppers ask after they buy (where is my order, a return, a
refund, ...), recognised in English, German, French and Portuguese, answered from
the store's data, handed to a person when it cannot help."""
