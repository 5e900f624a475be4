/** Hands a blob to the browser as a file download. */
export function saveFile(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  // The browser has started reading the URL by now; free it a little later.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
