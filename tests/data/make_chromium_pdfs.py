"""Print the PDFs in tests/data that Chromium makes, as a browser user prints a page, in
DejaVu Sans. Run once; the PDFs are committed.

    .venv/bin/python tests/data/make_chromium_pdfs.py

- rtl_chromium.pdf: Arabic, Persian and Hebrew, a page each, then Arabic with figures and a
  Latin word among its words.
- math_italic_chromium.pdf: a paragraph holding characters outside the BMP (mathematical
  italic x and n), which pdfium counts as two characters each.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from playwright.async_api import async_playwright

HERE = Path(__file__).parent
RTL_PAGES = [
    ("ar", "يقع المسجد الأقصى في القدس. بني في القرن السابع."),
    ("fa", "کتابخانه ملی ایران در تهران است. ساختمان آن بسیار بزرگ است."),
    ("he", "הכותל המערבי נמצא בירושלים. הוא נבנה על ידי הורדוס."),
    ("ar", "وقع العقد في 12 مارس. يستخدم الموقع نظام Linux منذ عام 2020."),
]
FILLER = "This paragraph is filler text about nothing in particular, so that the page has words."
MATH = ("The estimator \U0001D465\u0302 of the mean flow rate is computed from the "
        "\U0001D45B samples taken at the weir each morning.")
DOCUMENTS = {
    "rtl_chromium.pdf": ('<html dir="rtl"><body style="font-family:DejaVu Sans">'
                         + "".join(f'<p lang="{lang}" style="page-break-after:always">{text}</p>'
                                   for lang, text in RTL_PAGES)
                         + "</body></html>", "10cm", "6cm"),
    "math_italic_chromium.pdf": ('<html><body style="font-family:DejaVu Sans">'
                                 f"<p>{FILLER}</p><p>{MATH}</p><p>{FILLER}</p></body></html>",
                                 "12cm", "8cm"),
}


async def main() -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                   args=["--no-sandbox"])
        page = await browser.new_page()
        for name, (html, width, height) in DOCUMENTS.items():
            await page.set_content(html)
            await page.pdf(path=str(HERE / name), width=width, height=height)
        await browser.close()


if __name__ == "__main__":
    asyncio.run(main())
