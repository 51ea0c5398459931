/** The non-blank lines of a text, without their line ends (a CR before the LF too). */
export function textLines(text: string): string[] {
  return text.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '');
}
