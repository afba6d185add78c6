"""Local copies of the walls real platforms put in front of a public page, for capture tests.

Each is modelled on what the platform served an anonymous headless browser in 2025/2026, cut
down to the parts the wall detection looks at (the markup, the redirect, the status):

- Instagram: a profile redirects to /accounts/login/?next=... ;
- Facebook: a page redirects to /login/?next=..., or shows the page under a login dialog, or
  Meta's cookie dialog ("Tillåt användning av cookies från Facebook ...") over everything;
- YouTube/Google: a redirect to consent.youtube.com, or the "Innan du fortsätter" page whose
  form posts to consent.google.com;
- LinkedIn: /authwall?trk=..., or HTTP 999 for a browser it takes for a bot;
- TikTok: the slider captcha page;
- X: a redirect to /i/flow/login;
- any platform: 429 Too Many Requests with Retry-After, 403 with a bot message, and a
  Cloudflare challenge (503 with cf-mitigated: challenge).
"""

from __future__ import annotations

from aiohttp import web

HTML = "text/html; charset=utf-8"

INSTAGRAM_LOGIN = """<!doctype html><html lang="sv"><head><title>Logga in • Instagram</title>
</head><body><main><form id="loginForm" method="post">
<input aria-label="Telefonnummer, användarnamn eller e-postadress" name="username" type="text">
<input aria-label="Lösenord" name="password" type="password">
<button type="submit">Logga in</button></form><p>Har du inget konto?
<a href="/accounts/emailsignup/">Registrera dig</a></p></main></body></html>"""

FACEBOOK_LOGIN_DIALOG = """<!doctype html><html lang="sv"><head><title>Ugglan | Facebook</title>
</head><body><div id="content"><h1>Förskolan Ugglan</h1><p>Välkommen till vår sida.</p></div>
<div role="dialog" aria-label="Logga in" style="position:fixed;inset:0;background:rgba(0,0,0,.8)">
<div style="background:#fff;margin:10% auto;width:400px;padding:20px">
<h2>Se mer från Förskolan Ugglan på Facebook</h2>
<form method="post" action="/login/device-based/regular/login/">
<input name="email" type="text" placeholder="E-postadress eller mobilnummer">
<input name="pass" type="password" placeholder="Lösenord"><button name="login">Logga in</button>
</form><a href="/r.php">Skapa nytt konto</a></div></div></body></html>"""

META_COOKIE_DIALOG = """<!doctype html><html lang="sv"><head><title>Facebook</title></head><body>
<div id="content"><h1>Förskolan Ugglan</h1><p>Inlägg och bilder.</p></div>
<div class="__fb-light-mode" style="position:fixed;inset:0;background:rgba(244,244,244,.95)">
<div role="dialog" aria-modal="true"
 aria-label="Tillåt användning av cookies från Facebook i den här webbläsaren?"
 style="position:absolute;inset:5%;background:#fff">
<h2>Tillåt användning av cookies från Facebook i den här webbläsaren?</h2>
<p>Vi använder cookies och liknande tekniker för att tillhandahålla och förbättra innehåll på
Meta-produkter.</p><div role="button" tabindex="0">Tillåt alla cookies</div>
<div role="button" tabindex="0">Neka valfria cookies</div></div></div></body></html>"""

GOOGLE_CONSENT = """<!doctype html><html lang="sv"><head><title>Innan du fortsätter till YouTube
</title></head><body><div class="consent"><img alt="YouTube" src="data:,">
<h1>Innan du fortsätter till YouTube</h1>
<p>Vi använder cookies och data för att leverera och underhålla Googles tjänster.</p>
<form action="https://consent.youtube.com/save" method="POST"><input type="hidden" name="gl"
value="SE"><button aria-label="Avvisa alla">Avvisa alla</button></form>
<form action="https://consent.youtube.com/save" method="POST"><input type="hidden" name="set_ytc"
value="true"><button aria-label="Godkänn alla">Godkänn alla</button></form>
<a href="https://consent.youtube.com/d?continue=https://www.youtube.com/">Fler alternativ</a>
</div></body></html>"""

LINKEDIN_AUTHWALL = """<!doctype html><html lang="sv"><head><title>Registrera dig | LinkedIn
</title></head><body><main><h1>Gå med i LinkedIn</h1>
<a href="/signup">Gå med nu</a><a href="/login">Logga in</a></main></body></html>"""

TIKTOK_CAPTCHA = """<!doctype html><html lang="sv"><head><title>TikTok</title></head><body>
<div id="captcha_container"><div class="captcha_verify_container">
<div class="captcha_verify_bar">Dra reglaget så att pusslet passar</div>
<div class="captcha-verify-image"><img alt="" src="data:,"></div>
<div class="secsdk-captcha-drag-icon"></div></div></div></body></html>"""

CLOUDFLARE = """<!doctype html><html lang="en-US"><head><title>Just a moment...</title></head>
<body><div class="main-wrapper"><h1>www.example.org</h1>
<h2>Verifying you are human. This may take a few seconds.</h2>
<div id="challenge-stage"></div><form id="challenge-form" action="/?__cf_chl_f_tk=x"
method="POST"></form><script src="/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1">
</script></div></body></html>"""


def wall(path: str, url: object) -> web.StreamResponse | None:
    """The answer of a wall page, or None when the path is not one; `url(path, host=...)`."""
    make = url  # (path, *, host) -> an address on the test site
    if path == "/instagram/ugglan/":
        raise web.HTTPFound("/accounts/login/?next=%2Finstagram%2Fugglan%2F&source=omni_redirect")
    if path == "/accounts/login/":
        return web.Response(text=INSTAGRAM_LOGIN, headers={"Content-Type": HTML})
    if path == "/facebook/ugglan":
        raise web.HTTPFound("/login/?next=https%3A%2F%2Fwww.facebook.com%2Fugglan")
    if path == "/login/":
        return web.Response(text=INSTAGRAM_LOGIN, headers={"Content-Type": HTML})
    if path == "/facebook/ugglan-dialog":
        return web.Response(text=FACEBOOK_LOGIN_DIALOG, headers={"Content-Type": HTML})
    if path == "/facebook/cookies":
        return web.Response(text=META_COOKIE_DIALOG, headers={"Content-Type": HTML})
    if path == "/youtube/@ugglan":
        consent = make(
            "/ml?continue=https://www.youtube.com/@ugglan&gl=SE&m=0&pc=yt&hl=sv&src=1",
            host="consent.localhost",
        )  # type: ignore[operator]
        raise web.HTTPFound(consent)
    if path == "/youtube/consent-page":
        return web.Response(text=GOOGLE_CONSENT, headers={"Content-Type": HTML})
    if path == "/linkedin/company/ugglan":
        raise web.HTTPFound("/authwall?trk=bf&trkInfo=x&original_referer=&sessionRedirect=x")
    if path == "/authwall":
        return web.Response(text=LINKEDIN_AUTHWALL, headers={"Content-Type": HTML})
    if path == "/linkedin/999":
        return web.Response(
            status=999, reason="Request denied", text="", headers={"Content-Type": HTML}
        )
    if path == "/tiktok/@ugglan":
        return web.Response(text=TIKTOK_CAPTCHA, headers={"Content-Type": HTML})
    if path == "/x/ugglan":
        raise web.HTTPFound("/i/flow/login?redirect_after_login=%2Fugglan")
    if path == "/i/flow/login":
        shell = '<!doctype html><html><body><div id="react-root">Logga in på X</div></body></html>'
        return web.Response(text=shell, headers={"Content-Type": HTML})
    if path == "/too-many":
        return web.Response(status=429, text="Too Many Requests", headers={"Retry-After": "3600"})
    if path == "/forbidden-bots":
        return web.Response(status=403, text="Automated access is not allowed.")
    if path == "/cloudflare":
        return web.Response(
            status=503,
            text=CLOUDFLARE,
            headers={"Content-Type": HTML, "cf-mitigated": "challenge"},
        )
    return None
