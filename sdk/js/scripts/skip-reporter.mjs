// A node:test reporter that writes one JSON line per skipped test or suite (name, file, reason) to
// its destination, so `npm test` can count skips at the end instead of letting a skipped suite
// look like a pass (`# skipped` in node's summary counts tests, not suites).
export default async function* skipReporter(source) {
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { data } = event;
    if (data.skip === undefined || data.skip === false) continue;
    const kind = data.details?.type === 'suite' ? 'suite' : 'test';
    yield `${JSON.stringify({ kind, name: data.name, file: data.file, reason: data.skip === true ? '' : String(data.skip) })}\n`;
  }
}
