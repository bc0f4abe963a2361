#!/usr/bin/env python3
"""Writes the spreadsheet import templates and filled examples.

For each import kind this writes

    imports/templates/<kind>.xlsx   the empty template: header row, validation lists, "Read me"
    imports/examples/<kind>.xlsx    the same layout filled with a few realistic rows

Run it from anywhere (it writes next to itself):

    python3 -m venv /tmp/fixvenv && /tmp/fixvenv/bin/pip install openpyxl
    /tmp/fixvenv/bin/python imports/make_templates.py

The output is byte-for-byte reproducible for a given openpyxl and zlib: the document
timestamps and the zip entry times are fixed.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import sys
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

HERE = Path(__file__).resolve().parent

# Number formats.
AMOUNT = "#,##0.00"
DATE = "yyyy-mm-dd"
RATE = "0.0000######"  # at least 4, at most 10 decimals shown
QUANTITY = "#,##0.####"
PERCENT = "0.00"  # a plain number: 20 means 20 %
INTEGER = "0"
TEXT = "@"

# How many rows the validation lists and the text format cover in a template.
VALIDATION_ROWS = 1000

FIXED_TIME = dt.datetime(2027, 1, 1, 0, 0, 0)
MONTHS = [f"2027-{m:02d}" for m in range(1, 13)]


@dataclass
class Column:
    header: str
    required: bool
    meaning: str
    allowed: str = ""
    number_format: str | None = None  # None: text/general
    choices: list[str] = field(default_factory=list)
    width: int | None = None


@dataclass
class Kind:
    name: str
    sheet: str
    intro: str
    columns: list[Column]
    rows: list[list[object]]


def money(text: str) -> Decimal:
    return Decimal(text)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# ---------------------------------------------------------------------------------------------
# The kinds
# ---------------------------------------------------------------------------------------------

VENDORS = Kind(
    name="vendors",
    sheet="Vendors",
    intro="One row per vendor. A row whose Name or Tax ID matches an existing vendor updates it.",
    columns=[
        Column("Name", True, "The vendor's legal or trading name.", "text", width=30),
        Column("Tax ID", False, "VAT number or other tax identifier, as printed on invoices.",
               "text, e.g. GB 123 456 789, DE811907980", TEXT, width=18),
        Column("Emails", False, "Accounts-payable or order addresses.",
               'one or more addresses separated by ";"', width=44),
        Column("Status", False, "Whether orders may be raised with this vendor.",
               "active | blocked (blank means active)", choices=["active", "blocked"], width=10),
        Column("Tags", False, "Free labels used for searching and reporting.",
               'words separated by ";", e.g. racks; colo', width=22),
        Column("Notes", False, "Anything else worth knowing.", "text", width=44),
    ],
    rows=[
        ["Northwind Networks Ltd", "GB 123 456 789", "ap@northwind.example", "active",
         "network; wan", "Primary WAN carrier for both data centres"],
        ["Contoso Racks GmbH", "DE811907980",
         "billing@contoso-racks.example; orders@contoso-racks.example", "active",
         "racks; colo", None],
        ["Fabrikam Cabling", None, "invoices@fabrikam.example", "blocked", "cabling",
         "Blocked until the insurance certificate is renewed"],
        ["Litware Cloud Inc", "US-12-3456789", "ar@litware.example", "active", "cloud; saas",
         None],
        ["Adatum Power Systems", "FR40303265045", "factures@adatum.example", "active",
         "power; ups", "UPS maintenance contract holder"],
    ],
)

_month_cols = [
    Column(m, False, f"The part of Amount phased into {m}.",
           "amount; all twelve months add up to Amount exactly, or all are left blank",
           AMOUNT, width=11)
    for m in MONTHS
]

BUDGET_LINES = Kind(
    name="budget_lines",
    sheet="Budget Lines",
    intro=("One row per budget line. Project, Category and Cost Center together name the line. "
           "The month columns phase the Amount: fill them so they add up to Amount exactly, or "
           "leave all twelve blank to spread Amount evenly over the project's months."),
    columns=[
        Column("Project", True, "The project's code.", "an existing project code, e.g. DC-MOVE",
               width=12),
        Column("Category", True, "Capital or operating expenditure.", "capex | opex",
               choices=["capex", "opex"], width=10),
        Column("Cost Center", True, "The cost center the spend is booked to.",
               "text, e.g. DC-100", TEXT, width=12),
        Column("Description", False, "What the money is for.", "text", width=28),
        Column("Amount", True, "The line's total, in the project's currency.",
               "amount, at most the currency's decimals (2 for EUR)", AMOUNT, width=14),
        *_month_cols,
    ],
    rows=[
        ["DC-MOVE", "capex", "DC-100", "Racks and power", money("120000.00"),
         *[money("10000.00")] * 12],
        ["DC-MOVE", "opex", "DC-200", "Cross-connects", money("36000.00"), *[None] * 12],
        ["DC-MOVE", "capex", "DC-300", "Storage refresh", money("50000.00"),
         None, None, money("20000.00"), None, None, money("30000.00"), *[None] * 6],
        ["DC-MOVE", "opex", "DC-400", "Migration contractors", money("84000.00"),
         None, None, None, money("12000.00"), money("18000.00"), money("18000.00"),
         money("18000.00"), money("12000.00"), money("6000.00"), None, None, None],
        ["DC-MOVE", "capex", "DC-500", "Core network switches", money("64500.00"),
         None, money("64500.00"), *[None] * 10],
    ],
)

FX_RATES = Kind(
    name="fx_rates",
    sheet="FX Rates",
    intro="One row per rate: 1 unit of From is worth Rate units of To on Date.",
    columns=[
        Column("From", True, "The currency converted from.", "ISO 4217 code, e.g. USD",
               width=8),
        Column("To", True, "The currency converted to.", "ISO 4217 code, e.g. EUR", width=8),
        Column("Date", True, "The day the rate applies from.", "date (yyyy-mm-dd)", DATE,
               width=12),
        Column("Rate", True, "Units of To for one unit of From.",
               "positive number, up to 10 decimals", RATE, width=16),
        Column("Source", False, "Where the rate comes from.", "text, e.g. ECB", width=14),
    ],
    rows=[
        ["USD", "EUR", d("2027-01-01"), Decimal("0.9215"), "ECB"],
        ["GBP", "EUR", d("2027-01-01"), Decimal("1.1862"), "ECB"],
        ["CHF", "EUR", d("2027-01-01"), Decimal("1.0412"), "ECB"],
        ["JPY", "EUR", d("2027-01-01"), Decimal("0.0061234567"), "ECB"],
        ["USD", "EUR", d("2027-02-01"), Decimal("0.9301"), "ECB"],
        ["GBP", "EUR", d("2027-02-01"), Decimal("1.1840"), "ECB"],
    ],
)

PURCHASE_ORDERS = Kind(
    name="purchase_orders",
    sheet="Purchase Orders",
    intro=("One row per purchase-order line. Rows with the same PO Reference form one order; "
           "the order-level columns (Vendor to Notes) must agree on all of its rows. "
           "Project, Category and Cost Center name the budget line the line is charged to."),
    columns=[
        Column("PO Reference", True,
               "This file's own key grouping lines into one order (not the PO number, which "
               "Procura assigns).", "text, e.g. A, B or REQ-1044", TEXT, width=13),
        Column("Vendor", True, "The vendor.", "its tax ID or its exact name", width=24),
        Column("Project", True, "The project's code.", "an existing project code", width=10),
        Column("Contract", False, "The contract the order is placed under.",
               "contract number, e.g. CTR-2027-000001", width=17),
        Column("Currency", True, "The order's currency.", "ISO 4217 code, e.g. EUR", width=9),
        Column("Order Date", True, "The date of the order.", "date (yyyy-mm-dd)", DATE,
               width=12),
        Column("Notes", False, "Notes for the whole order.", "text", width=24),
        Column("Description", True, "What is bought on this line.", "text", width=34),
        Column("Quantity", True, "How many units.", "positive number", QUANTITY, width=9),
        Column("Unit", False, "The unit of measure.", "text, e.g. each, month, m", width=8),
        Column("Unit Price", True, "Net price of one unit, in Currency.",
               "amount, at most the currency's decimals", AMOUNT, width=12),
        Column("Tax %", False, "Tax rate on the line.", "number, 20 means 20 %; blank means 0",
               PERCENT, width=7),
        Column("Category", True, "Capital or operating expenditure (budget line).",
               "capex | opex", choices=["capex", "opex"], width=9),
        Column("Cost Center", True, "The cost center (budget line).", "text, e.g. DC-100",
               TEXT, width=12),
        Column("Asset", False, "Whether receiving this line creates tracked assets.",
               "yes | no (blank means no)", choices=["yes", "no"], width=7),
        Column("Asset Category", False, "The category of the assets created.",
               "text, e.g. rack, server, switch", width=15),
        Column("Promised Date", False, "The date the vendor promised delivery.",
               "date (yyyy-mm-dd)", DATE, width=13),
    ],
    rows=[
        ["A", "DE811907980", "DC-MOVE", None, "EUR", d("2027-01-18"), "Hall 2 fit-out",
         "42U server rack 800x1200", Decimal("12"), "each", money("1850.00"), Decimal("20"),
         "capex", "DC-100", "yes", "rack", d("2027-02-26")],
        ["A", "DE811907980", "DC-MOVE", None, "EUR", d("2027-01-18"), "Hall 2 fit-out",
         "Switched PDU 32A 3-phase", Decimal("24"), "each", money("640.00"), Decimal("20"),
         "capex", "DC-100", "yes", "pdu", d("2027-02-26")],
        ["A", "DE811907980", "DC-MOVE", None, "EUR", d("2027-01-18"), "Hall 2 fit-out",
         "Installation and cable management", Decimal("1"), "lot", money("4200.00"),
         Decimal("20"), "capex", "DC-100", "no", None, d("2027-03-05")],
        ["B", "GB 123 456 789", "DC-MOVE", "CTR-2027-000001", "EUR", d("2027-02-01"), None,
         "10G cross-connect, monthly charge", Decimal("12"), "month", money("250.00"),
         Decimal("20"), "opex", "DC-200", "no", None, None],
        ["B", "GB 123 456 789", "DC-MOVE", "CTR-2027-000001", "EUR", d("2027-02-01"), None,
         "Cross-connect set-up fee", Decimal("4"), "each", money("150.00"), Decimal("20"),
         "opex", "DC-200", "no", None, None],
        ["C", "Litware Cloud Inc", "DC-MOVE", None, "USD", d("2027-03-02"), "Paid in USD",
         "All-flash storage array 200 TB", Decimal("1"), "each", money("41250.00"),
         Decimal("0"), "capex", "DC-300", "yes", "storage", d("2027-05-14")],
    ],
)

INVOICES = Kind(
    name="invoices",
    sheet="Invoices",
    intro=("One row per invoice line. Rows with the same Invoice Number and Vendor form one "
           "invoice; the invoice-level columns (Invoice Date to Original Invoice) must agree "
           "on all of its rows. A line either points at a PO line (PO Number and PO Line) or "
           "names a budget line (Project, Category, Cost Center). Give Quantity and Unit "
           "Price, or Amount, or all three agreeing."),
    columns=[
        Column("Invoice Number", True, "The vendor's invoice number.", "text", TEXT, width=16),
        Column("Vendor", True, "The vendor.", "its tax ID or its exact name", width=24),
        Column("Invoice Date", True, "The invoice date.", "date (yyyy-mm-dd)", DATE, width=12),
        Column("Due Date", False, "The payment due date.", "date (yyyy-mm-dd)", DATE,
               width=12),
        Column("Currency", True, "The invoice's currency.", "ISO 4217 code, e.g. EUR",
               width=9),
        Column("Kind", False, "Invoice or credit memo.",
               "invoice | credit_memo (blank means invoice)",
               choices=["invoice", "credit_memo"], width=12),
        Column("Original Invoice", False, "For a credit memo: the invoice number it credits.",
               "text", TEXT, width=16),
        Column("PO Number", False, "The purchase order this line bills.",
               "PO number, e.g. PO-2027-000001", width=15),
        Column("PO Line", False, "The line within that PO.", "whole number, 1 = first line",
               INTEGER, width=8),
        Column("Project", False, "For a line without PO: the project's code.", "project code",
               width=10),
        Column("Category", False, "For a line without PO: capex or opex.", "capex | opex",
               choices=["capex", "opex"], width=9),
        Column("Cost Center", False, "For a line without PO: the cost center.",
               "text, e.g. DC-200", TEXT, width=12),
        Column("Description", False, "What the line bills.", "text", width=32),
        Column("Quantity", False, "How many units.", "number", QUANTITY, width=9),
        Column("Unit Price", False, "Net price of one unit.", "amount", AMOUNT, width=12),
        Column("Amount", False, "Net amount of the line.",
               "amount, at most the currency's decimals", AMOUNT, width=12),
        Column("Tax %", False, "Tax rate on the line.", "number, 20 means 20 %; blank means 0",
               PERCENT, width=7),
    ],
    rows=[
        ["CR-2027-0113", "DE811907980", d("2027-03-01"), d("2027-03-31"), "EUR", "invoice",
         None, "PO-2027-000001", 1, None, None, None, "42U server rack 800x1200",
         Decimal("12"), money("1850.00"), money("22200.00"), Decimal("20")],
        ["CR-2027-0113", "DE811907980", d("2027-03-01"), d("2027-03-31"), "EUR", "invoice",
         None, "PO-2027-000001", 2, None, None, None, "Switched PDU 32A 3-phase",
         Decimal("24"), money("640.00"), None, Decimal("20")],
        ["NW-40021", "Northwind Networks Ltd", d("2027-02-28"), d("2027-03-30"), "EUR",
         "invoice", None, "PO-2027-000002", 1, None, None, None,
         "Cross-connects, February", Decimal("1"), money("250.00"), None, Decimal("20")],
        ["NW-40022", "Northwind Networks Ltd", d("2027-03-05"), d("2027-04-04"), "EUR",
         "invoice", None, None, None, "DC-MOVE", "opex", "DC-200",
         "Remote hands, 6 hours", None, None, money("540.00"), Decimal("20")],
    ],
)

ASSETS = Kind(
    name="assets",
    sheet="Assets",
    intro=("One row per existing asset, found by its Asset Tag. Filled columns update the "
           "asset; blank columns leave it unchanged."),
    columns=[
        Column("Asset Tag", True, "The asset's tag.", "an existing tag, e.g. AST-2027-000001",
               TEXT, width=17),
        Column("Serial Number", False, "The manufacturer's serial number.", "text", TEXT,
               width=16),
        Column("Site", False, "The site or data centre.", "text, e.g. FRA1", width=8),
        Column("Room", False, "The room or hall.", "text", width=10),
        Column("Rack", False, "The rack.", "text, e.g. R12", TEXT, width=8),
        Column("U", False, "The lowest rack unit the asset occupies.", "whole number 1-60",
               INTEGER, width=5),
        Column("Status", False, "The asset's life-cycle status.",
               "pending | in_service | in_repair | retired | disposed",
               choices=["pending", "in_service", "in_repair", "retired", "disposed"], width=11),
        Column("In Service Date", False, "When the asset went into service.",
               "date (yyyy-mm-dd)", DATE, width=15),
        Column("Note", False, "A note added to the asset's history.", "text", width=32),
    ],
    rows=[
        ["AST-2027-000001", "CR42-88120-A", "FRA1", "Hall 2", "R12", None, "in_service",
         d("2027-03-08"), "Installed and earthed"],
        ["AST-2027-000002", "CR42-88121-A", "FRA1", "Hall 2", "R13", None, "in_service",
         d("2027-03-08"), None],
        ["AST-2027-000013", "PDU3P-55031", "FRA1", "Hall 2", "R12", 1, "in_service",
         d("2027-03-09"), None],
        ["AST-2027-000014", "PDU3P-55032", "FRA1", "Hall 2", "R12", 2, "in_repair", None,
         "Outlet bank B failed, RMA 7781"],
        ["AST-2027-000037", "AFA-200-0091", "FRA1", "Hall 2", "R14", 20, "pending", None,
         "Awaiting rack rails"],
    ],
)

SLA_MEASUREMENTS = Kind(
    name="sla_measurements",
    sheet="SLA Measurements",
    intro=("One row per SLA and period. Give exactly one of Value and Downtime Minutes "
           "(Downtime Minutes only for availability SLAs)."),
    columns=[
        Column("Contract", True, "The contract's number.", "e.g. CTR-2027-000001", width=17),
        Column("SLA", True, "The SLA's name within the contract.", "text", width=22),
        Column("Period", True, "The measurement period, matching the SLA's period.",
               "text: YYYY-MM, YYYY-Qn or YYYY (type it as text, not as a date)", TEXT,
               width=9),
        Column("Value", False, "The measured value (percent for availability, hours for "
               "response or resolution times).", "number", "0.00##", width=9),
        Column("Downtime Minutes", False, "Minutes of downtime in the period; Procura derives "
               "availability from it.", "number", "0.##", width=17),
    ],
    rows=[
        ["CTR-2027-000001", "Availability", "2027-01", Decimal("99.98"), None],
        ["CTR-2027-000001", "Availability", "2027-02", None, Decimal("43")],
        ["CTR-2027-000001", "Availability", "2027-03", Decimal("100"), None],
        ["CTR-2027-000001", "P1 response time", "2027-Q1", Decimal("0.75"), None],
        ["CTR-2027-000002", "Annual uptime", "2027", Decimal("99.95"), None],
    ],
)

KINDS = [VENDORS, BUDGET_LINES, FX_RATES, PURCHASE_ORDERS, INVOICES, ASSETS, SLA_MEASUREMENTS]


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")


def cell_value(value: object) -> object:
    """Decimals go in as floats: the shortest float text equals the decimal for every value
    used here (checked in `check`)."""
    if isinstance(value, Decimal):
        as_float = float(value)
        assert Decimal(repr(as_float)) == value, value
        return as_float
    return value


def write_data_sheet(wb: Workbook, kind: Kind, filled: bool) -> None:
    ws = wb.active
    ws.title = kind.sheet
    for col_idx, column in enumerate(kind.columns, start=1):
        cell = ws.cell(row=1, column=col_idx, value=column.header)
        cell.font = HEADER_FONT
        cell.fill = REQUIRED_FILL if column.required else HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
        cell.number_format = TEXT  # month headers such as 2027-01 stay text
    ws.freeze_panes = "A2"

    rows = kind.rows if filled else []
    for row_idx, row in enumerate(rows, start=2):
        assert len(row) == len(kind.columns), (kind.name, row)
        for col_idx, (column, value) in enumerate(zip(kind.columns, row), start=1):
            if value is None:
                continue
            cell = ws.cell(row=row_idx, column=col_idx, value=cell_value(value))
            if column.number_format:
                cell.number_format = column.number_format

    last_row = VALIDATION_ROWS + 1
    for col_idx, column in enumerate(kind.columns, start=1):
        letter = get_column_letter(col_idx)
        longest = max([len(column.header)] + [len(str(r[col_idx - 1])) for r in rows
                                               if r[col_idx - 1] is not None])
        ws.column_dimensions[letter].width = max(column.width or 0, min(longest + 2, 60))
        if column.number_format:
            # The column's default format, so values typed into empty rows get it too
            # (a Period typed as 2027-01 stays text instead of becoming a date).
            ws.column_dimensions[letter].number_format = column.number_format
        if column.choices:
            dv = DataValidation(
                type="list",
                formula1='"' + ",".join(column.choices) + '"',
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=f"{column.header}",
                error=f"{column.header} must be one of: {', '.join(column.choices)}",
                showInputMessage=True,
                promptTitle=column.header,
                prompt=" | ".join(column.choices),
            )
            dv.add(f"{letter}2:{letter}{last_row}")
            ws.add_data_validation(dv)
    ws.auto_filter.ref = f"A1:{get_column_letter(len(kind.columns))}1"


def write_readme_sheet(wb: Workbook, kind: Kind) -> None:
    ws = wb.create_sheet("Read me")
    ws.append(["Column", "Required", "Meaning", "Allowed values"])
    for cell in ws[1]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
    for column in kind.columns:
        ws.append([column.header, "yes" if column.required else "no", column.meaning,
                   column.allowed])
    ws.append([])
    notes = [
        kind.intro,
        f'Fill in the "{kind.sheet}" sheet, one header row then data; keep the header texts.',
        "Amounts are plain numbers (no currency symbol) with at most the currency's decimals.",
        "Dates are date cells (or text yyyy-mm-dd). Text such as 03/04/2027 is refused as "
        "ambiguous.",
        "Formulas are accepted only when the file stores their computed value (Excel and "
        "LibreOffice do).",
    ]
    for note in notes:
        ws.append(["Note", None, note])
        ws.cell(row=ws.max_row, column=1).font = HEADER_FONT
    ws.freeze_panes = "A2"
    for letter, width in zip("ABCD", (18, 9, 70, 60)):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def save_deterministic(wb: Workbook, path: Path) -> None:
    """Saves with fixed document and zip-entry timestamps, so reruns give the same bytes."""
    wb.properties.creator = "Procura"
    wb.properties.created = FIXED_TIME
    buf = io.BytesIO()
    wb.save(buf)
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp.encode(),
                              data)
            out = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            out.compress_type = zipfile.ZIP_DEFLATED
            out.external_attr = 0o644 << 16
            dst.writestr(out, data)


def build(kind: Kind, filled: bool) -> Workbook:
    wb = Workbook()
    write_data_sheet(wb, kind, filled)
    write_readme_sheet(wb, kind)
    wb.active = 0
    return wb


# ---------------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------------

def check(kind: Kind, path: Path, filled: bool) -> str:
    from openpyxl import load_workbook

    wb = load_workbook(path)
    assert wb.sheetnames == [kind.sheet, "Read me"], wb.sheetnames
    ws = wb[kind.sheet]
    headers = [c.value for c in ws[1]]
    assert headers == [c.header for c in kind.columns], headers
    assert all(c.font.b for c in ws[1])
    assert ws.freeze_panes == "A2"
    n_choices = sum(1 for c in kind.columns if c.choices)
    assert len(ws.data_validations.dataValidation) == n_choices
    data_rows = ws.max_row - 1
    expected_rows = len(kind.rows) if filled else 0
    assert data_rows == expected_rows, (data_rows, expected_rows)
    for r, row in enumerate(kind.rows if filled else [], start=2):
        for c, (column, value) in enumerate(zip(kind.columns, row), start=1):
            got = ws.cell(row=r, column=c).value
            if value is None:
                assert got is None, (r, c, got)
            elif isinstance(value, dt.date):
                assert isinstance(got, dt.datetime) and got.date() == value, (r, c, got)
                assert ws.cell(row=r, column=c).number_format == DATE
            elif isinstance(value, Decimal):
                assert Decimal(repr(got)) == value, (r, c, got, value)
            else:
                assert got == value, (r, c, got, value)
    if kind is BUDGET_LINES and filled:
        for r in range(2, ws.max_row + 1):
            months = [ws.cell(row=r, column=c).value for c in range(6, 18)]
            amount = Decimal(repr(ws.cell(row=r, column=5).value))
            if any(m is not None for m in months):
                total = sum(Decimal(repr(m)) for m in months if m is not None)
                assert total == amount, (r, total, amount)
    readme = wb["Read me"]
    assert [readme.cell(row=i + 2, column=1).value for i in range(len(kind.columns))] == \
        [c.header for c in kind.columns]
    return f"{path.relative_to(HERE.parent)}: {path.stat().st_size} bytes, {data_rows} rows"


def main() -> int:
    for kind in KINDS:
        for filled, folder in ((False, "templates"), (True, "examples")):
            path = HERE / folder / f"{kind.name}.xlsx"
            save_deterministic(build(kind, filled), path)
            print(check(kind, path, filled))
    return 0


if __name__ == "__main__":
    sys.exit(main())
