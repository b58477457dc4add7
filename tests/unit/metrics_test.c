/*
 * metrics_test.c - the Prometheus text rendering: exact output for
 * counters, gauges and a histogram (HELP, TYPE, sorted series, cumulative
 * buckets, +Inf, _sum, _count); label values escaped; counting from threads.
 */
#include "metrics.h"

#include <pthread.h>
#include <string.h>

#include "unit.h"

static void test_exact_output(void **state)
{
	static const double b[] = {0.5, 1, 5};
	struct buf out;

	metrics_reset();
	metrics_define("t_msgs_total", METRIC_COUNTER, "Messages", NULL, 0);
	metrics_define("t_queue", METRIC_GAUGE, "Queue", NULL, 0);
	metrics_define("t_delay_seconds", METRIC_HISTOGRAM, "Delay", b, 3);
	metrics_inc("t_msgs_total", "source", "b", "type", "accepted", 2);
	metrics_inc("t_msgs_total", "source", "a", "type", "accepted", 1);
	metrics_inc("t_msgs_total", "source", "b", "type", "accepted", 1);
	metrics_set("t_queue", "state", "held", 3);
	metrics_observe("t_delay_seconds", NULL, NULL, 0.2);
	metrics_observe("t_delay_seconds", NULL, NULL, 2);
	metrics_observe("t_delay_seconds", NULL, NULL, 60);
	metrics_observe("t_undefined", NULL, NULL, 1); /* not a histogram: ignored */
	buf_init(&out);
	metrics_render(&out);
	const char *want = "# HELP t_msgs_total Messages\n"
	                   "# TYPE t_msgs_total counter\n"
	                   "t_msgs_total{source=\"a\",type=\"accepted\"} 1\n"
	                   "t_msgs_total{source=\"b\",type=\"accepted\"} 3\n"
	                   "# HELP t_queue Queue\n"
	                   "# TYPE t_queue gauge\n"
	                   "t_queue{state=\"held\"} 3\n"
	                   "# HELP t_delay_seconds Delay\n"
	                   "# TYPE t_delay_seconds histogram\n"
	                   "t_delay_seconds_bucket{le=\"0.5\"} 1\n"
	                   "t_delay_seconds_bucket{le=\"1\"} 1\n"
	                   "t_delay_seconds_bucket{le=\"5\"} 2\n"
	                   "t_delay_seconds_bucket{le=\"+Inf\"} 3\n"
	                   "t_delay_seconds_sum 62.200000000000003\n"
	                   "t_delay_seconds_count 3\n";
	EXPECT(strcmp(out.data, want) == 0, "got:\n%s", out.data);
	buf_release(&out);
	metrics_reset();
	ALL_PASSED();
}

static void test_label_values_escaped(void **state)
{
	struct buf out;

	metrics_reset();
	metrics_inc("t_x_total", "source", "a\"b\\c\nd", NULL, NULL, 1);
	buf_init(&out);
	metrics_render(&out);
	EXPECT(strstr(out.data, "t_x_total{source=\"a\\\"b\\\\c\\nd\"} 1\n") != NULL, "got:\n%s",
	       out.data);
	EXPECT(strstr(out.data, "# TYPE t_x_total counter\n") != NULL, "auto-defined counter");
	buf_release(&out);
	metrics_reset();
	ALL_PASSED();
}

static void *count(void *arg)
{
	for (int i = 0; i < 10000; i++)
		metrics_inc("t_threads_total", "k", (const char *)arg, NULL, NULL, 1);
	return NULL;
}

static void test_threads(void **state)
{
	pthread_t t[4];
	struct buf out;

	metrics_reset();
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, count, i % 2 ? "odd" : "even");
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	buf_init(&out);
	metrics_render(&out);
	EXPECT(strstr(out.data, "t_threads_total{k=\"even\"} 20000\n") &&
	               strstr(out.data, "t_threads_total{k=\"odd\"} 20000\n"),
	       "got:\n%s", out.data);
	buf_release(&out);
	metrics_reset();
	ALL_PASSED();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_exact_output),
	        cmocka_unit_test(test_label_values_escaped),
	        cmocka_unit_test(test_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
