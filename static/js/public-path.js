// Bootstrap Italia loads its fonts from this path; set here, not inline, to keep the CSP strict.
window.__PUBLIC_PATH__ = document.currentScript.dataset.fonts;
