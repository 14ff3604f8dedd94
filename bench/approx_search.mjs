// Run the npm package approx-string-match on cases read as JSON from stdin ([[text, pattern, maxErrors], ...])
// and print its matches as JSON: tests/unit/test_hypothesis_port.py compares them with bench/hypothesis_port.py.
import search from 'approx-string-match';

let input = '';
process.stdin.on('data', chunk => { input += chunk; });
process.stdin.on('end', () => {
  const cases = JSON.parse(input);
  console.log(JSON.stringify(cases.map(([text, pattern, maxErrors]) => search(text, pattern, maxErrors))));
});
