#!/usr/bin/env python3
"""Prints the Markdown results table of docs/conformance.md from the conformance driver's results.

usage: python3 scripts/conformance-table.py REASONS.json RESULTS.json...

RESULTS.json are the files ../shared/conformance/run.sh (or its driver) writes, one per plan.
REASONS.json maps "<plan>/<module>" (or "<module>") to the explanation printed for a module that
did not pass; a module that did not pass and has no reason gets the first failing condition.
"""
import json
import sys


def variant_text(variant):
    if not variant:
        return ''
    keep = {k: v for k, v in variant.items() if k not in ('server_metadata', 'client_registration')}
    return ', '.join(f'{k}={v}' for k, v in sorted(keep.items()))


def first_problem(result):
    for problem in result.get('problems', []):
        if problem.get('result') in ('FAILURE', 'WARNING'):
            return f"{problem.get('src', '')}: {problem.get('msg', '')}".strip(': ')
    return ''


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1]) as handle:
        reasons = json.load(handle)
    for path in argv[2:]:
        with open(path) as handle:
            plan = json.load(handle)
        name = plan['planName']
        counts = {}
        for result in plan['results']:
            counts[result.get('result')] = counts.get(result.get('result'), 0) + 1
        summary = ', '.join(f'{count} {outcome}' for outcome, count in sorted(counts.items()))
        print(f"### {name} {variant_text(plan.get('variant'))}".rstrip())
        print()
        print(f'Plan id `{plan["planId"]}`: {summary}.')
        print()
        print('| module | variant | result | reason (anything not PASSED) |')
        print('| --- | --- | --- | --- |')
        for result in plan['results']:
            module = result['module']
            outcome = result.get('result') or result.get('status') or ''
            reason = ''
            if outcome != 'PASSED':
                reason = reasons.get(f'{name}/{module}', reasons.get(module, first_problem(result)))
            reason = reason.replace('|', '\\|').replace('\n', ' ')
            print(f"| {module} | {variant_text(result.get('variant'))} | {outcome} | {reason} |")
        print()
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
