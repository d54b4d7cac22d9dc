/*
 * np-threads - a test workload: touches MIB mebibytes, starts N threads that sleep, prints
 * "ready" when every thread runs, then sleeps until killed. --name NAME (at most 15 bytes)
 * sets the process's name (its comm) first, so that a test can pick it out by that name alone.
 * usage: np-threads [--name NAME] N [MIB]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

int main(int argc, char **argv)
{
	const char *name = NULL;
	long n, mib;
	char *mem = NULL;

	if (argc > 2 && strcmp(argv[1], "--name") == 0) {
		name = argv[2];
		argc -= 2;
		argv += 2;
	}
	n = argc > 1 ? strtol(argv[1], NULL, 10) : 0;
	mib = argc > 2 ? strtol(argv[2], NULL, 10) : 0;
	if (argc < 2 || n < 0 || n > 1000 || mib < 0 || mib > 65536) {
		fprintf(stderr, "usage: np-threads [--name NAME] N [MIB]\n");
		return 2;
	}
	if (name && (!*name || strlen(name) > 15)) {
		fprintf(stderr, "np-threads: --name '%s': 1 to 15 bytes expected\n", name);
		return 2;
	}
	if (name && prctl(PR_SET_NAME, name, 0, 0, 0) != 0) {
		perror("np-threads: PR_SET_NAME");
		return 1;
	}
	if (mib) {
		mem = malloc((size_t)mib << 20);
		if (!mem)
			return 1;
		memset(mem, 1, (size_t)mib << 20);
	}
	for (long i = 0; i < n; i++) {
		pthread_t t;

		if (pthread_create(&t, NULL, sleeper, NULL) != 0)
			return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
	free(mem);
	return 0;
}
