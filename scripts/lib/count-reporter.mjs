// node:test reporter that writes {passed, failed, skipped} as JSON: the summary line's source.
export default async function* countReporter(source) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const failures = [];
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { details, name, file } = event.data;
    if (details?.type === 'suite') {
      // A suite fails on its own only when a hook or the file itself failed.
      if (event.type === 'test:fail' && details?.error?.failureType !== 'subtestsFailed') {
        failed += 1;
        failures.push(`${file ?? ''} ${name}`);
      }
      continue;
    }
    if (event.data.skip !== undefined || event.data.todo !== undefined) skipped += 1;
    else if (event.type === 'test:pass') passed += 1;
    else {
      failed += 1;
      failures.push(`${file ?? ''} ${name}`);
    }
  }
  yield `${JSON.stringify({ passed, failed, skipped, failures })}\n`;
}
