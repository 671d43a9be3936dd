#!/usr/bin/env python3
"""Teaches a copy of the conformance harness's driver (run-plan.mjs) what two FAPI 2.0 modules
ask of the person testing, instead of signing in and approving as it always does:

- *-user-rejects-*: deny on the consent page (the module expects access_denied back);
- *-prior-to-auth-completion-*: leave the first of the two sign-in pages unanswered, and sign in
  on the second visit of the same URL, which the driver would otherwise skip as seen, telling the
  suite of that visit before signing in (the module checks the request_uri still works then).

usage: python3 scripts/conformance-driver-tester.py <copy of run-plan.mjs>

It stops with an error when the driver no longer has the lines it changes, rather than running
a plan with a driver that does something else.
"""
import sys

LEAVE_FIRST_LOGIN = """    if (/prior-to-auth-completion/.test(state.module ?? '') && !state.leftFirstLogin && (await page.$('input[name=email]'))) {
      state.leftFirstLogin = true;
      note.loginShot = await page.screenshot({ type: 'png' }).catch(() => null);
      note.push('login left unanswered, as the module asks');
      return 'other';
    }
"""

DENY_CONSENT = """    if (/user-rejects/.test(state.module ?? '') && (await page.$('button[name=decision][value=deny]'))) {
      note.push('consent denied, as the module asks');
      await Promise.all([page.waitForNavigation({ timeout: 20000 }).catch(() => {}), page.click('button[name=decision][value=deny]')]);
      continue;
    }
"""

# A person's browser tells the suite of a visit as the page opens; the driver does so after the
# page is done, which for the second visit is after the callback this module checks against it.
VISIT_FIRST = """  if (/prior-to-auth-completion/.test(state.module ?? '') && state.leftFirstLogin) {
    await api('POST', `/api/runner/browser/${testId}/visit?url=${encodeURIComponent(url)}`);
  }
"""

SECOND_VISIT = """        if (seen.has(key) && !(state.leftFirstLogin && !state.revisited)) continue;
        if (seen.has(key)) state.revisited = true;
"""


def main(path: str) -> None:
    source = open(path, encoding='utf-8').read()

    def swap(old: str, new: str) -> None:
        nonlocal source
        if source.count(old) != 1:
            sys.exit(f'conformance-driver-tester.py: the harness driver changed; cannot find: {old!r}')
        source = source.replace(old, new)

    swap('async function drivePage(page, user, note) {', 'async function drivePage(page, user, note, state = {}) {')
    swap('const outcome = await drivePage(page, user, note);', 'const outcome = await drivePage(page, user, note, state);')
    login = "    if (await page.$('input[name=email]')) {\n"
    swap(login, LEAVE_FIRST_LOGIN + login)
    approve = "    if (await page.$('button[name=decision][value=approve]')) {\n"
    swap(approve, DENY_CONSENT + approve)
    swap('        if (seen.has(key)) continue;\n', SECOND_VISIT)
    note = '  const note = [];\n'
    swap(note, note + VISIT_FIRST)
    open(path, 'w', encoding='utf-8').write(source)


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
