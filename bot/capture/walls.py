"""What a login wall, a cookie or consent wall and a platform that blocks automated browsers look
like (R12): nothing behind them is captured; the editor is told which wall it was."""

from __future__ import annotations

import re

LOGIN_PATH = re.compile(
    r"/(login|log-in|signin|sign-in|accounts|auth|authwall|checkpoint|flow/login)(/|$|\.)", re.I
)

CONSENT_PATH = re.compile(r"/(consent|cookie|cookies|privacy-wall)(/|$|\.)", re.I)

# Hosts a platform sends an anonymous browser to instead of the page (consent.youtube.com,
# consent.google.com, accounts.google.com, login.microsoftonline.com, ...).
CONSENT_HOST = re.compile(r"^(consent|cookies?)\.", re.I)

LOGIN_HOST = re.compile(r"^(accounts|login|signin|auth)\.", re.I)

# Answers that mean "not for a browser like yours": LinkedIn's 999, rate limits, refusals.
BLOCKING_STATUSES = (403, 429, 999)

WALL_SCRIPT = """() => {
  const area = innerWidth * innerHeight;
  const text = (document.body ? document.body.innerText : '').slice(0, 20000);
  const selectors = ['#onetrust-banner-sdk', '#CybotCookiebotDialog', '[id*=cookie i]',
    '[class*=cookie i]', '[id*=consent i]', '[class*=consent i]', '[aria-modal=true]',
    'dialog[open]', '[data-testid*=cookie i]', '[role=dialog]', '[role=alertdialog]'];
  let cookieWall = false;
  for (const element of document.querySelectorAll(selectors.join(','))) {
    const style = getComputedStyle(element);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    const box = element.getBoundingClientRect();
    const covered = Math.min(box.width, innerWidth) * Math.min(box.height, innerHeight);
    if (covered >= 0.5 * area && /cookie|kaka|kakor|consent|samtyck/i.test(element.innerText))
      cookieWall = true;
  }
  // A whole page that only asks for consent (Google's "Innan du fortsätter").
  if (document.querySelector('form[action*="consent." i], form[action*="/consent" i]'))
    cookieWall = true;
  return {
    password: !!document.querySelector('input[type=password]'),
    cookieWall: cookieWall,
    challenge: !!document.querySelector('#challenge-form, #challenge-stage, .cf-challenge, '
      + 'iframe[src*=captcha], #captcha_container, [class*=captcha_verify i]')
      || /captcha|are you a robot|unusual traffic|verify you are human/i.test(text),
  };
}"""
