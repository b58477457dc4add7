/*
 * console.h - the web console's server side: its static files, logins and
 * sessions, on the admin TCP listener (api.c routes /console/ here and asks
 * whether an /admin/v1 request carries a session).
 */
#ifndef POSTERN_CONSOLE_H
#define POSTERN_CONSOLE_H

#include <event2/http.h>
#include <stdbool.h>
#include <stddef.h>

struct api;
struct console;

struct console *console_new(void);
void console_free(struct console *c);

/* console_route - /console[/...]: the pages, and /console/api/{login,logout,session} */
void console_route(struct api *a, struct evhttp_request *req, char **seg, size_t nseg);

/*
 * console_user - the administrator whose live session req's cookie names
 * (the session's idle time restarts), or NULL. For a request that changes
 * something, *csrf_ok says whether its X-CSRF-Token is the session's.
 */
const char *console_user(struct api *a, struct evhttp_request *req, bool *csrf_ok);

/* console_end_sessions - log name out everywhere (removed, or a new password) */
void console_end_sessions(struct api *a, const char *name);

/* console_headers - the security headers of every answer on the admin listener */
void console_headers(struct evhttp_request *req);

/* admin_admins.c: /admin/v1/admins */
void admin_admins(struct api *a, struct evhttp_request *req, char **seg, size_t nseg);
bool admin_name_valid(const char *s);

/* console_files.c (generated from console/ at build time) */
struct console_file {
	const char *name, *type;
	const unsigned char *data;
	size_t len;
};
extern const struct console_file console_files[];
extern const size_t console_nfiles;

#endif
