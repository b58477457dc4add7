/*
 * send_shape.c - the send API's checks on the form of a request before any
 * value is read: the nesting depth of the raw JSON text (before jansson
 * parses it), then every key known and every value of its JSON type, down
 * to address objects, attachment objects and the headers and metadata maps.
 * Each refusal is a 400 (too_deep, unknown_field, bad_field) naming the field.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "send_request_internal.h"

/* ---- before jansson: depth ------------------------------------------- */

bool send_too_deep(const char *p, size_t n, size_t max)
{
	size_t depth = 0;
	bool in_str = false;

	for (size_t i = 0; i < n; i++) {
		char ch = p[i];
		if (in_str) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				in_str = false;
		} else if (ch == '"') {
			in_str = true;
		} else if (ch == '{' || ch == '[') {
			if (++depth > max)
				return true;
		} else if ((ch == '}' || ch == ']') && depth > 0) {
			depth--;
		}
	}
	return false;
}

/* ---- types: the 400s -------------------------------------------------- */

enum { T_STR = 1, T_OBJ = 2, T_ARR = 4, T_NUM = 8, T_BOOL = 16 };

static const struct field {
	const char *name;
	unsigned types;
} fields[] = {
        {"from", T_STR | T_OBJ},
        {"to", T_STR | T_OBJ | T_ARR},
        {"cc", T_STR | T_OBJ | T_ARR},
        {"bcc", T_STR | T_OBJ | T_ARR},
        {"reply_to", T_STR | T_OBJ | T_ARR},
        {"subject", T_STR},
        {"text", T_STR},
        {"html", T_STR},
        {"headers", T_OBJ},
        {"attachments", T_ARR},
        {"stream", T_STR},
        {"metadata", T_OBJ},
        {"raw", T_STR},
};

static const char *const attachment_keys[] = {"filename", "content_type", "content", "content_id"};

static bool of_type(const json_t *v, unsigned types)
{
	return ((types & T_STR) && json_is_string(v)) || ((types & T_OBJ) && json_is_object(v)) ||
	       ((types & T_ARR) && json_is_array(v)) || ((types & T_NUM) && json_is_number(v)) ||
	       ((types & T_BOOL) && json_is_boolean(v));
}

static const char *type_words(unsigned types)
{
	switch (types) {
	case T_STR:
		return "a string";
	case T_OBJ:
		return "an object";
	case T_ARR:
		return "an array";
	case T_STR | T_OBJ:
		return "a string or an object";
	case T_STR | T_OBJ | T_ARR:
		return "a string, an object or an array of them";
	default:
		return "a string, a number or a boolean";
	}
}

/* an address object: {"email": string, "name": string or null} */
static int addr_shape(struct send_ctx *c, const json_t *v, const char *label)
{
	const char *key;
	json_t *x;
	char k[100];

	if (json_is_string(v))
		return 0;
	if (!json_is_object(v))
		return send_refuse(c->e, 400, "bad_field", "%s must be a string or an object",
		                   label);
	json_object_foreach((json_t *)v, key, x)
	{
		if (strcmp(key, "email") != 0 && strcmp(key, "name") != 0)
			return send_refuse(c->e, 400, "unknown_field", "unknown field \"%s.%s\"",
			                   label, ESC(k, key));
		if (!json_is_string(x) && !(json_is_null(x) && strcmp(key, "name") == 0))
			return send_refuse(c->e, 400, "bad_field", "%s.%s must be a string", label,
			                   key);
	}
	if (json_object_get(v, "email") == NULL)
		return send_refuse(c->e, 400, "bad_field", "%s.email must be a string", label);
	return 0;
}

static int shape_list(struct send_ctx *c, const json_t *v, const char *name)
{
	char label[48];
	size_t i;
	json_t *x;

	if (!json_is_array(v))
		return addr_shape(c, v, name);
	json_array_foreach(v, i, x)
	{
		snprintf(label, sizeof(label), "%s[%zu]", name, i);
		if (addr_shape(c, x, label) < 0)
			return -1;
	}
	return 0;
}

static int shape_attachments(struct send_ctx *c, const json_t *arr)
{
	size_t i;
	json_t *a, *x;
	const char *key;
	char k[100];

	json_array_foreach(arr, i, a)
	{
		if (!json_is_object(a))
			return send_refuse(c->e, 400, "bad_field",
			                   "attachments[%zu] must be an object", i);
		json_object_foreach(a, key, x)
		{
			size_t j = 0;
			while (j < 4 && strcmp(key, attachment_keys[j]) != 0)
				j++;
			if (j == 4)
				return send_refuse(c->e, 400, "unknown_field",
				                   "unknown field \"attachments[%zu].%s\"", i,
				                   ESC(k, key));
			if (!json_is_string(x) && !json_is_null(x))
				return send_refuse(c->e, 400, "bad_field",
				                   "attachments[%zu].%s must be a string", i, key);
		}
	}
	return 0;
}

static int shape_map(struct send_ctx *c, const json_t *obj, const char *name, unsigned types)
{
	const char *key;
	json_t *x;
	char k[100];

	json_object_foreach((json_t *)obj, key, x)
	{
		if (!of_type(x, types))
			return send_refuse(c->e, 400, "bad_field", "%s.\"%s\" must be %s", name,
			                   ESC(k, key), type_words(types));
	}
	return 0;
}

int send_check_shape(struct send_ctx *c)
{
	const char *key;
	json_t *v;
	char k[100];

	json_object_foreach(c->root, key, v)
	{
		size_t i = 0;
		while (i < sizeof(fields) / sizeof(fields[0]) && strcmp(key, fields[i].name) != 0)
			i++;
		if (i == sizeof(fields) / sizeof(fields[0]))
			return send_refuse(c->e, 400, "unknown_field", "unknown field \"%s\"",
			                   ESC(k, key));
		if (json_is_null(v))
			continue;
		if (!of_type(v, fields[i].types))
			return send_refuse(c->e, 400, "bad_field", "%s must be %s", key,
			                   type_words(fields[i].types));
		int rc = 0;
		if (fields[i].types & T_ARR && strcmp(key, "attachments") != 0)
			rc = shape_list(c, v, key);
		else if (strcmp(key, "from") == 0)
			rc = addr_shape(c, v, key);
		else if (strcmp(key, "attachments") == 0)
			rc = shape_attachments(c, v);
		else if (strcmp(key, "headers") == 0)
			rc = shape_map(c, v, key, T_STR);
		else if (strcmp(key, "metadata") == 0)
			rc = shape_map(c, v, key, T_STR | T_NUM | T_BOOL);
		if (rc < 0)
			return -1;
	}
	return 0;
}
