"""Print tests/data/rtl_chromium.pdf with Chromium, as a browser user prints a page: Arabic,
Persian and Hebrew, a page each, then Arabic with figures and a Latin word, in DejaVu Sans.
Run once; the PDF is committed.

    .venv/bin/python tests/data/make_rtl_chromium.py
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from playwright.async_api import async_playwright

OUT = Path(__file__).with_name("rtl_chromium.pdf")
PAGES = [
    ("ar", "يقع المسجد الأقصى في القدس. بني في القرن السابع."),
    ("fa", "کتابخانه ملی ایران در تهران است. ساختمان آن بسیار بزرگ است."),
    ("he", "הכותל המערבי נמצא בירושלים. הוא נבנה על ידי הורדוס."),
    # Arabic with figures and a Latin word among its words
    ("ar", "وقع العقد في 12 مارس. يستخدم الموقع نظام Linux منذ عام 2020."),
]


async def main() -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                   args=["--no-sandbox"])
        page = await browser.new_page()
        body = "".join(f'<p lang="{lang}" style="page-break-after:always">{text}</p>'
                       for lang, text in PAGES)
        await page.set_content(f'<html dir="rtl"><body style="font-family:DejaVu Sans">'
                               f"{body}</body></html>")
        await page.pdf(path=str(OUT), width="10cm", height="6cm")
        await browser.close()


if __name__ == "__main__":
    asyncio.run(main())
