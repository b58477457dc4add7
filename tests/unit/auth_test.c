/*
 * auth_test.c - generated secrets and the Argon2id round trip: every secret
 * is 32 base64url characters that begin and end with a letter or digit (so no
 * command-line tool reads one as an option), and secrets differ.
 */
#include "auth.h"

#include <ctype.h>
#include <sodium.h>

#include "unit.h"

static void test_generate_secret(void **state)
{
	char prev[33] = "", s[33];

	for (int i = 0; i < 2000; i++) {
		auth_generate_secret(s);
		EXPECT(strlen(s) == 32, "length %zu: %s", strlen(s), s);
		EXPECT(isalnum((unsigned char)s[0]), "first char of %s", s);
		EXPECT(isalnum((unsigned char)s[31]), "last char of %s", s);
		for (int j = 0; j < 32; j++)
			EXPECT(isalnum((unsigned char)s[j]) || s[j] == '-' || s[j] == '_',
			       "char %d of %s", j, s);
		EXPECT(strcmp(s, prev) != 0, "repeated secret %s", s);
		memcpy(prev, s, sizeof(prev));
	}
	ALL_PASSED();
}

static void test_hash_roundtrip(void **state)
{
	char s[33], hash[crypto_pwhash_STRBYTES];

	auth_generate_secret(s);
	assert_int_equal(auth_hash_password(s, hash), 0);
	assert_int_equal(strncmp(hash, "$argon2id$", 10), 0);
	assert_int_equal(crypto_pwhash_str_verify(hash, s, strlen(s)), 0);
	s[0] = s[0] == 'a' ? 'b' : 'a';
	assert_int_not_equal(crypto_pwhash_str_verify(hash, s, strlen(s)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_generate_secret),
	        cmocka_unit_test(test_hash_roundtrip),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
