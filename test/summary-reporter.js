/**
 * Prints the run's totals alone on a line, `N passed, N failed`, the form CI reads
 * (jest's own summary is not read). Tests that never ran because their file failed to load
 * count as failed, so a broken suite can't look green.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const skipped = results.numPendingTests + results.numTodoTests;
    const line = `${results.numPassedTests} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : '');
    process.stdout.write(`\n${line}\n`);
  }
}
module.exports = SummaryReporter;
