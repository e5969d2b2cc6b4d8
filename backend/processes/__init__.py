"""The work that spans areas, in one layer.

Each module here is a use case (or the in-session step of one) that needs
more than one business area: a payment that settles what its invoice was
for, a finished job that completes a contract visit or a service order,
planning a service order, the daily contract run, the customer behind any
reference, a chat closed into a help-desk ticket. Each use case owns one
transaction and calls *down* into the areas (``backend/<area>/``); no area
imports this package (``tests/unit/test_layers.py`` holds the order).
"""
