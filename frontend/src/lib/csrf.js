// Django's CSRF token for the browser's own requests: read from the csrftoken cookie and sent back in the
// X-CSRFToken header on every request that writes (Django's "Setting the token on the AJAX request").

/** The csrftoken cookie's value, or "" when the page has none. */
export function csrfToken() {
  const m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : "";
}

