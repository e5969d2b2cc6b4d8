"""Money between the customer's hand and the bank: technicians' collections
and cash in hand, bank deposits, customers' own payment reports, and the bank
statement the books are reconciled against."""
