// Writes jest's totals to .jest-results.json so .ci/run can print the plain "N passed, N failed" line.
const { writeFileSync } = require('node:fs');
const path = require('node:path');

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const summary = {
      numPassedTests: results.numPassedTests,
      numFailedTests: results.numFailedTests,
      numPendingTests: results.numPendingTests,
      numTotalTests: results.numTotalTests,
      numFailedTestSuites: results.numFailedTestSuites,
      numRuntimeErrorTestSuites: results.numRuntimeErrorTestSuites,
    };
    writeFileSync(path.join(process.cwd(), '.jest-results.json'), JSON.stringify(summary, null, 2));
  }
}

module.exports = SummaryReporter;
