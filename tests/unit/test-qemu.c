/* test-qemu.c - np_qemu_sizes(): QEMU's -smp and -m as QEMU reads them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "numaplace.h"

#include <errno.h>

#define MiB (1ull << 20)
#define GiB (1ull << 30)

/* Sizes of a command line given as a NULL-terminated list of words. */
static int sizes(struct np_qemu_sizes *q, ...)
{
	char *argv[32];
	unsigned n = 0;
	va_list ap;

	va_start(ap, q);
	while (n < 31 && (argv[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	return np_qemu_sizes(argv, q);
}

static void test_not_qemu(void **state)
{
	struct np_qemu_sizes q = {7, 7, 7, 7};

	(void)state;
	assert_int_equal(sizes(&q, "sleep", "-smp", "4", NULL), 0);
	assert_int_equal(sizes(&q, "/usr/bin/qemu-img", "-m", "4G", NULL), 0);
	assert_int_equal(sizes(&q, "qemu-system-", "-m", "4G", NULL), 0);
	assert_int_equal(sizes(&q, "/opt/qemu-system-x86_64/run", NULL), 0);
	assert_int_equal(q.vcpus, 7); /* untouched */
	assert_int_equal(q.memory_bytes, 7);
}

static void test_defaults(void **state)
{
	struct np_qemu_sizes q;

	(void)state;
	/* no -smp, no -m: QEMU's 1 vCPU and 128 MiB */
	assert_int_equal(sizes(&q, "/usr/bin/qemu-system-x86_64", "-nographic", NULL), 1);
	assert_int_equal(q.vcpus, 1);
	assert_true(q.memory_bytes == 128 * MiB);
	assert_int_equal(q.vcpus_given, 0);
	assert_int_equal(q.memory_given, 0);
	assert_int_equal(sizes(&q, "qemu-kvm", NULL), 1);
}

static void test_smp(void **state)
{
	struct np_qemu_sizes q;

	(void)state;
	assert_int_equal(sizes(&q, "qemu-system-x86_64", "-smp", "4", NULL), 1);
	assert_int_equal(q.vcpus, 4);
	assert_int_equal(q.vcpus_given, 1);
	assert_int_equal(sizes(&q, "qemu-system-aarch64", "-smp", "cpus=6,maxcpus=12", NULL), 1);
	assert_int_equal(q.vcpus, 6);
	/* the count first, then the topology */
	assert_int_equal(
	    sizes(&q, "qemu-system-x86_64", "-smp", "8,sockets=2,cores=2,threads=2", NULL), 1);
	assert_int_equal(q.vcpus, 8);
	/* no count: the product of the topology */
	assert_int_equal(sizes(&q, "qemu-system-x86_64", "-smp",
	                       "sockets=2,dies=1,clusters=1,cores=4,threads=2", NULL),
	                 1);
	assert_int_equal(q.vcpus, 16);
	assert_int_equal(sizes(&q, "qemu-system-x86_64", "-smp", "cores=3", NULL), 1);
	assert_int_equal(q.vcpus, 3);
	/* no count: maxcpus */
	assert_int_equal(sizes(&q, "qemu-system-x86_64", "-smp", "maxcpus=10,sockets=2", NULL), 1);
	assert_int_equal(q.vcpus, 10);
	/* 0 is "not given" */
	assert_int_equal(sizes(&q, "qemu-system-x86_64", "-smp", "0,sockets=2,cores=2", NULL), 1);
	assert_int_equal(q.vcpus, 4);
	/* two dashes; the last -smp wins; the last value of a key wins */
	assert_int_equal(
	    sizes(&q, "qemu-system-x86_64", "--smp", "2", "-smp", "cpus=3,cpus=5", NULL), 1);
	assert_int_equal(q.vcpus, 5);
}

static void test_m(void **state)
{
	struct np_qemu_sizes q;

	(void)state;
	/* no suffix: MiB */
	assert_int_equal(sizes(&q, "qemu-system-x86_64", "-m", "4096", NULL), 1);
	assert_true(q.memory_bytes == 4 * GiB);
	assert_int_equal(q.memory_given, 1);
	assert_int_equal(sizes(&q, "qemu-system-x86_64", "-m", "4G", NULL), 1);
	assert_true(q.memory_bytes == 4 * GiB);
	assert_int_equal(sizes(&q, "qemu-system-x86_64", "-m", "4g", NULL), 1);
	assert_true(q.memory_bytes == 4 * GiB);
	assert_int_equal(
	    sizes(&q, "qemu-system-x86_64", "-m", "size=1.5G,slots=4,maxmem=32G", NULL), 1);
	assert_true(q.memory_bytes == 3 * GiB / 2);
	assert_int_equal(sizes(&q, "qemu-system-x86_64", "-m", "512M", "--m", "1T", NULL), 1);
	assert_true(q.memory_bytes == 1024 * GiB);
	assert_int_equal(sizes(&q, "qemu-system-x86_64", "-m", "65536K", NULL), 1);
	assert_true(q.memory_bytes == 64 * MiB);
	assert_int_equal(sizes(&q, "qemu-system-x86_64", "-m", "2147483648B", NULL), 1);
	assert_true(q.memory_bytes == 2 * GiB);
	/* both, among other options */
	assert_int_equal(sizes(&q, "/usr/bin/qemu-system-x86_64", "-enable-kvm", "-name", "vm1",
	                       "-smp", "4", "-m", "4G", "-drive", "file=disk.qcow2,if=virtio",
	                       NULL),
	                 1);
	assert_int_equal(q.vcpus, 4);
	assert_true(q.memory_bytes == 4 * GiB);
}

static void test_bad(void **state)
{
	struct np_qemu_sizes q = {7, 7, 7, 7};

	(void)state;
	assert_int_equal(sizes(&q, "qemu-system-x86_64", "-smp", NULL), -EINVAL);
	assert_int_equal(sizes(&q, "qemu-system-x86_64", "-smp", "four", NULL), -EINVAL);
	assert_int_equal(sizes(&q, "qemu-system-x86_64", "-smp", "4,5", NULL), -EINVAL);
	assert_int_equal(sizes(&q, "qemu-system-x86_64", "-smp", "cpu=4", NULL), -EINVAL);
	assert_int_equal(sizes(&q, "qemu-system-x86_64", "-smp", "4,", NULL), -EINVAL);
	assert_int_equal(sizes(&q, "qemu-system-x86_64", "-smp", "-4", NULL), -EINVAL);
	assert_int_equal(sizes(&q, "qemu-system-x86_64", "-smp", "9999999", NULL), -EINVAL);
	assert_int_equal(sizes(&q, "qemu-system-x86_64", "-m", "", NULL), -EINVAL);
	assert_int_equal(sizes(&q, "qemu-system-x86_64", "-m", "4GB", NULL), -EINVAL);
	assert_int_equal(sizes(&q, "qemu-system-x86_64", "-m", "4X", NULL), -EINVAL);
	assert_int_equal(sizes(&q, "qemu-system-x86_64", "-m", "0", NULL), -EINVAL);
	assert_int_equal(sizes(&q, "qemu-system-x86_64", "-m", "slots=2", NULL), -EINVAL);
	assert_int_equal(sizes(&q, "qemu-system-x86_64", "-m", "4G,bad=1", NULL), -EINVAL);
	assert_int_equal(sizes(&q, "qemu-system-x86_64", "-m", "99999999999999E", NULL), -EINVAL);
	assert_int_equal(q.vcpus, 7); /* untouched */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_not_qemu), cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_smp),      cmocka_unit_test(test_m),
	    cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
