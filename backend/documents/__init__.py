"""The documents a customer is sent: invoices, statements, contract offers,
order acceptances and job completion reports, rendered to PDF from the
areas' view dataclasses.

``pdf`` renders (pure: views in, bytes out; fpdf2); ``notices`` decides
which document goes with which notice and loads it in the caller's
transaction. The portal's PDF pages (``backend/web``) and the e-mail channel
(``backend/delivery``) both render through here.
"""
