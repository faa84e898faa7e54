"""Print tests/data/math_italic_chromium.pdf with Chromium: a paragraph holding characters
outside the BMP (mathematical italic x and n), which pdfium counts as two characters each.
Run once; the PDF is committed.

    .venv/bin/python tests/data/make_math_chromium.py
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from playwright.async_api import async_playwright

OUT = Path(__file__).with_name("math_italic_chromium.pdf")
FILLER = "This paragraph is filler text about nothing in particular, so that the page has words."
PASSAGE = ("The estimator \U0001D465\u0302 of the mean flow rate is computed from the "
           "\U0001D45B samples taken at the weir each morning.")


async def main() -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                   args=["--no-sandbox"])
        page = await browser.new_page()
        await page.set_content(f'<html><body style="font-family:DejaVu Sans"><p>{FILLER}</p>'
                               f"<p>{PASSAGE}</p><p>{FILLER}</p></body></html>")
        await page.pdf(path=str(OUT), width="12cm", height="8cm")
        await browser.close()


if __name__ == "__main__":
    asyncio.run(main())
