"""The chart of accounts. Loaded by the first migration; codes are referenced here only."""

from backend.ledger.models import AccountType as T

CASH = "1000"
BANK = "1010"
RECEIVABLE = "1100"
TECH_ADVANCES = "1200"
TAX_PAYABLE = "2100"
LABOUR_REVENUE = "4000"
PARTS_REVENUE = "4100"
CONTRACT_REVENUE = "4200"
JOB_EXPENSES = "5000"

CHART: list[tuple[str, str, str]] = [
    (CASH, "Cash on hand", T.ASSET),
    (BANK, "Bank", T.ASSET),
    (RECEIVABLE, "Accounts receivable (customers)", T.ASSET),
    (TECH_ADVANCES, "Technician advances and claims", T.ASSET),
    (TAX_PAYABLE, "Output tax payable", T.LIABILITY),
    (LABOUR_REVENUE, "Service labour revenue", T.INCOME),
    (PARTS_REVENUE, "Parts revenue", T.INCOME),
    (CONTRACT_REVENUE, "Contract revenue", T.INCOME),
    (JOB_EXPENSES, "Job travel and expenses", T.EXPENSE),
]

PARTY_ACCOUNT = {"customer": RECEIVABLE, "technician": TECH_ADVANCES}
