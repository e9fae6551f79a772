// Loaded before Bootstrap Italia's bundle. The bundle includes Video.js, which by default injects <style>
// elements at load time; our CSP (style-src 'self') refuses them, so turn that off (we embed no videos).
window.VIDEOJS_NO_DYNAMIC_STYLE = true;
