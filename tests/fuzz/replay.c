/* Plain replay driver for every fuzz target under any compiler: runs LLVMFuzzerTestOneInput
 * over the files and directories given as arguments (default: FR_FUZZ_CORPORA, a
 * colon-separated list of directories relative to $FR_TOP_SRCDIR), each input whole and cut
 * at a few lengths, so `make check` exercises the targets without libFuzzer. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		perror(path);
		return 1;
	}
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			uint8_t *nb = realloc(buf, cap);
			if (!nb) {
				fclose(fp);
				free(buf);
				return 1;
			}
			buf = nb;
		}
		size_t r = fread(buf + len, 1, cap - len, fp);
		if (r == 0)
			break;
		len += r;
	}
	fclose(fp);
	/* Exact-size copies so reads past the end are caught by ASan; the cuts exercise
	 * truncated input the way a fuzzer would. */
	size_t cuts[4] = { len, len / 2, len ? len - 1 : 0, len / 3 };
	for (int i = 0; i < 4; i++) {
		uint8_t *exact = malloc(cuts[i] ? cuts[i] : 1);
		if (!exact) {
			free(buf);
			return 1;
		}
		memcpy(exact, buf, cuts[i]);
		LLVMFuzzerTestOneInput(exact, cuts[i]);
		free(exact);
	}
	free(buf);
	return 0;
}

static int run_path(const char *path, int *count)
{
	struct stat st;
	if (stat(path, &st)) {
		perror(path);
		return 1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return run_file(path);
	}
	DIR *d = opendir(path);
	if (!d) {
		perror(path);
		return 1;
	}
	int rc = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || !strcmp(e->d_name, "README.md") ||
		    !strncmp(e->d_name, "LICENSE", 7) || !strcmp(e->d_name, "expected"))
			continue;
		size_t nl = strlen(e->d_name);
		if (nl > 3 && (!strcmp(e->d_name + nl - 3, ".md") || !strcmp(e->d_name + nl - 4, ".csv")))
			continue;
		char p[4096];
		snprintf(p, sizeof p, "%s/%s", path, e->d_name);
		rc |= run_path(p, count);
	}
	closedir(d);
	return rc;
}

int main(int argc, char **argv)
{
	int rc = 0, count = 0;
	if (argc < 2) {
		const char *top = getenv("FR_TOP_SRCDIR");
		char list[] = FR_FUZZ_CORPORA;
		for (char *dir = strtok(list, ":"); dir; dir = strtok(NULL, ":")) {
			char p[4096];
			snprintf(p, sizeof p, "%s/%s", top ? top : ".", dir);
			rc |= run_path(p, &count);
		}
	}
	for (int i = 1; i < argc; i++)
		rc |= run_path(argv[i], &count);
	printf("replayed %d inputs\n", count);
	return rc;
}
