// Applies the stored theme before first paint (kept external so a strict
// Content-Security-Policy with script-src 'self' works).
(function () {
  try {
    var t = localStorage.getItem('atlhyper.theme');
    var dark = t === 'dark' || (t !== 'light' && window.matchMedia('(prefers-color-scheme: dark)').matches);
    if (dark) document.documentElement.classList.add('dark');
    document.documentElement.style.colorScheme = dark ? 'dark' : 'light';
  } catch (e) {}
})();
