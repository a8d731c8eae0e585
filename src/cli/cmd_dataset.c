/* The dataset commands of interfaces.md §2.3 (with decision 16a): register, list, info, run,
 * unregister, config.  Each is a thin user of the invoker; the API server calls the same
 * functions. */
#include "cli/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <time.h>

#include "core/config.h"
#include "core/jw.h"
#include "task/dschema.h"

/* getopt_long over a command's own options, from its argv (argv[0] = the command). */
static void reset_getopt(void)
{
	optind = 1;
	opterr = 1;
}

/* ---- register ---- */

/* BASEPATH or file://BASEPATH made absolute against the working directory when relative;
 * NULL when it already is, names another scheme, or on failure (then used as given). */
static char *absolute_basepath(const char *bp)
{
	const char *path = bp, *prefix = "";
	if (!strncasecmp(bp, "file://", 7)) {
		path = bp + 7;
		prefix = "file://";
	} else if (strstr(bp, "://")) {
		return NULL;
	}
	if (path[0] == '/' || !path[0])
		return NULL;
	char cwd[4096];
	if (!getcwd(cwd, sizeof cwd))
		return NULL;
	while (path[0] == '.' && path[1] == '/')
		path += 2;
	size_t n = strlen(prefix) + strlen(cwd) + strlen(path) + 2;
	char *out = malloc(n);
	if (out)
		snprintf(out, n, "%s%s%s%s", prefix, cwd, strcmp(path, ".") ? "/" : "",
		         strcmp(path, ".") ? path : "");
	return out;
}

static void register_usage(FILE *f)
{
	fprintf(f,
	        "usage: frocket register NAME BASEPATH GROUP_ID_COLUMN TIMESTAMP_COLUMN\n"
	        "                        [--pattern P] [--validation MODE] [--skip-uniques]\n"
	        "\n"
	        "Registers the Parquet files directly under BASEPATH (a directory or file://path)\n"
	        "as dataset NAME, replacing an earlier registration of the name.\n"
	        "  --pattern P        file name pattern (default *.parquet)\n"
	        "  --validation MODE  single, first_last or sample (default): which files are\n"
	        "                     read to check the schema and group id uniqueness\n"
	        "  --skip-uniques     do not check that group ids are disjoint across files\n"
	        "Prints the registration result document; exit 0 on success, 1 on failure,\n"
	        "2 on usage errors.\n");
}

int fr_cmd_register(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pattern", required_argument, NULL, 'p' },
		{ "validation", required_argument, NULL, 'v' },
		{ "skip-uniques", no_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	fr_register_args a = { .validation = FR_VALIDATE_SAMPLE, .validate_uniques = 1 };
	int c;
	reset_getopt();
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': a.pattern = optarg; break;
		case 'v': {
			int m = fr_validation_parse(optarg);
			if (m < 0) {
				fprintf(stderr, "frocket register: --validation: '%s' is not one of "
				        "single, first_last, sample\n", optarg);
				return 2;
			}
			a.validation = (fr_validation)m;
			break;
		}
		case 'u': a.validate_uniques = 0; break;
		case 'h': register_usage(stdout); return 0;
		default: register_usage(stderr); return 2;
		}
	}
	if (argc - optind != 4) {
		fprintf(stderr, "frocket register: expected NAME BASEPATH GROUP_ID_COLUMN "
		        "TIMESTAMP_COLUMN, got %d argument(s)\n", argc - optind);
		register_usage(stderr);
		return 2;
	}
	a.name = argv[optind];
	a.basepath = argv[optind + 1];
	/* A relative local basepath is made absolute here: the catalog outlives the directory
	 * the command ran in, and every later query (from anywhere) must find the parts. */
	char *abs = absolute_basepath(a.basepath);
	if (abs)
		a.basepath = abs;
	a.group_col = argv[optind + 2];
	a.ts_col = argv[optind + 3];
	fr_invoker *inv;
	int rc = fr_cli_invoker("register", &inv);
	if (rc)
		return rc;
	fr_cli_bar bar;
	fr_cli_bar_init(&bar, "register", 0);
	fr_job_out out;
	fr_invoke_register(inv, &a, fr_cli_progress, &bar, fr_cli.pretty, &out);
	rc = fr_cli_print_job("register", &out);
	fr_job_out_free(&out);
	fr_invoker_free(inv);
	free(abs);
	return rc;
}

/* ---- run ---- */

static void run_usage(FILE *f)
{
	fprintf(f,
	        "usage: frocket run DATASET (--empty | --string JSON | --file FILE)\n"
	        "\n"
	        "Runs a query document over a registered dataset and prints the result.\n"
	        "  -e, --empty        the empty query {}\n"
	        "  -s, --string JSON  the query document (also --string-s)\n"
	        "  -f, --file FILE    read the query document from FILE ('-' = stdin)\n"
	        "Exit status: 0 success; 1 unknown dataset, unreadable query, invalid query or a\n"
	        "failed job; 2 usage errors.\n");
}

int fr_cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "empty", no_argument, NULL, 'e' },
		{ "string", required_argument, NULL, 's' },
		{ "string-s", required_argument, NULL, 's' },
		{ "file", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *file = NULL, *str = NULL;
	int empty = 0, sources = 0, c;
	reset_getopt();
	while ((c = getopt_long(argc, argv, "es:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'e': empty = 1; sources++; break;
		case 's': str = optarg; sources++; break;
		case 'f': file = optarg; sources++; break;
		case 'h': run_usage(stdout); return 0;
		default: run_usage(stderr); return 2;
		}
	}
	if (argc - optind != 1 || sources != 1) {
		fprintf(stderr, "frocket run: %s\n", argc - optind != 1 ? "expected one DATASET" :
		        "exactly one of --empty, --string, --file is required");
		run_usage(stderr);
		return 2;
	}
	const char *name = argv[optind];
	if (str && !*str) {
		fprintf(stderr, "frocket run: the query string is empty\n");
		return 1;
	}
	fr_invoker *inv;
	int rc = fr_cli_invoker("run", &inv);
	if (rc)
		return rc;
	fr_err err = { 0 };
	fr_buf text = FR_BUF_INIT;
	if (fr_cli_read_query(file, str, empty, &text, &err)) {
		fprintf(stderr, "frocket run: %s\n", err.msg);
		fr_buf_free(&text);
		fr_invoker_free(inv);
		return 1;
	}
	fr_cli_bar bar;
	fr_cli_bar_init(&bar, "run", 1);
	fr_job_out out;
	fr_invoke_query(inv, name, text.data ? (const char *)text.data : "", text.len,
	                fr_cli_progress, &bar, fr_cli.pretty, &out);
	if (out.outcome == FR_JOB_NOT_FOUND) {
		fprintf(stderr, "Dataset '%s' not found!\n", name);
		rc = 1;
	} else {
		rc = fr_cli_print_job("run", &out);
	}
	fr_job_out_free(&out);
	fr_buf_free(&text);
	fr_invoker_free(inv);
	return rc;
}

/* ---- unregister ---- */

int fr_cmd_unregister(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int force = 0, c;
	reset_getopt();
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'F': force = 1; break;
		case 'h':
			printf("usage: frocket unregister DATASET [--force]\n\n"
			       "Removes a dataset's registration (never its files).  Refused while the\n"
			       "dataset was queried less than FROCKET_UNREGISTER_LAST_USED_INTERVAL\n"
			       "seconds ago (default 30), unless --force.  An unknown name succeeds with\n"
			       "datasetFound false.  Exit 0 on success, 1 when refused.\n");
			return 0;
		default:
			fprintf(stderr, "usage: frocket unregister DATASET [--force]\n");
			return 2;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "frocket unregister: expected one DATASET\n"
		        "usage: frocket unregister DATASET [--force]\n");
		return 2;
	}
	fr_invoker *inv;
	int rc = fr_cli_invoker("unregister", &inv);
	if (rc)
		return rc;
	fr_job_out out;
	fr_invoke_unregister(inv, argv[optind], force, fr_cli.pretty, &out);
	rc = fr_cli_print_job("unregister", &out);
	fr_job_out_free(&out);
	fr_invoker_free(inv);
	return rc;
}

/* ---- list ---- */

/* tabulate's "simple" format: headers, a dashed rule per column, two spaces between
 * columns, numbers right-aligned, text left-aligned.  Widths count UTF-8 characters. */
static size_t width_of(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static void pad(size_t n)
{
	while (n--)
		putchar(' ');
}

static const char *trimmed(const char *s, size_t max, char *buf, size_t n)
{
	if (!fr_cli.trim || width_of(s) <= max)
		return s;
	/* keep max - 3 characters, then "..." */
	size_t chars = 0, i = 0;
	while (s[i] && chars < max - 3) {
		i++;
		while (((unsigned char)s[i] & 0xC0) == 0x80)
			i++;
		chars++;
	}
	snprintf(buf, n, "%.*s...", (int)i, s);
	return buf;
}

int fr_cmd_list(int argc, char **argv)
{
	if (argc > 1) {
		if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
			printf("usage: frocket list\n\nLists the registered datasets, newest first: a "
			       "table, or a JSON array with --nopretty.\n");
			return 0;
		}
		fprintf(stderr, "frocket list: unexpected argument '%s'\nusage: frocket list\n",
		        argv[1]);
		return 2;
	}
	fr_invoker *inv;
	int rc = fr_cli_invoker("list", &inv);
	if (rc)
		return rc;
	fr_err err = { 0 };
	fr_catalog *cat = NULL;
	fr_arena *a = fr_arena_new(0);
	fr_dataset *ds = NULL;
	int n = 0;
	if (!a || fr_invoker_catalog(inv, &cat, &err) || fr_catalog_list(cat, a, &ds, &n, &err)) {
		fprintf(stderr, "frocket list: %s\n", a ? err.msg : "out of memory");
		rc = 1;
		goto done;
	}
	char (*when)[32] = fr_arena_calloc(a, (size_t)(n ? n : 1), sizeof *when);
	char (*parts)[24] = fr_arena_calloc(a, (size_t)(n ? n : 1), sizeof *parts);
	if (!when || !parts) {
		fprintf(stderr, "frocket list: out of memory\n");
		rc = 1;
		goto done;
	}
	for (int i = 0; i < n; i++) {
		/* "2021-02-10T08:32:12.412792+00:00" -> "2021-02-10 08:32:12 UTC" */
		snprintf(when[i], sizeof when[i], "%.10s %.8s UTC", ds[i].registered_at,
		         strlen(ds[i].registered_at) >= 19 ? ds[i].registered_at + 11 : "");
		snprintf(parts[i], sizeof parts[i], "%lld", (long long)ds[i].total_parts);
	}
	if (!fr_cli.pretty) {
		fr_buf b = FR_BUF_INIT;
		fr_jw w;
		fr_jw_init(&w, &b, 0);
		fr_jw_open(&w, '[');
		for (int i = 0; i < n; i++) {
			fr_jw_open(&w, '{');
			fr_jw_key(&w, "name");
			fr_jw_str(&w, ds[i].name);
			fr_jw_key(&w, "registered at");
			fr_jw_str(&w, when[i]);
			fr_jw_key(&w, "parts");
			fr_jw_int(&w, ds[i].total_parts);
			fr_jw_key(&w, "group id");
			fr_jw_str(&w, ds[i].group_col);
			fr_jw_key(&w, "timestamp");
			fr_jw_str(&w, ds[i].ts_col);
			fr_jw_key(&w, "path");
			fr_jw_str(&w, ds[i].basepath);
			fr_jw_close(&w, '}');
		}
		fr_jw_close(&w, ']');
		if (fr_jw_status(&w)) {
			fprintf(stderr, "frocket list: out of memory\n");
			rc = 1;
		} else {
			fwrite(b.data, 1, b.len, stdout);
			putchar('\n');
		}
		fr_buf_free(&b);
		goto done;
	}
	if (n == 0) {
		printf("No datasets registered yet\n");
		goto done;
	}
	static const char *const head[6] = { "name", "registered at", "parts", "group id",
		"timestamp", "path" };
	const char **cells = fr_arena_calloc(a, (size_t)n * 6, sizeof *cells);
	char *tbuf = fr_arena_alloc(a, (size_t)n * 2 * 1024);
	if (!cells || !tbuf) {
		fprintf(stderr, "frocket list: out of memory\n");
		rc = 1;
		goto done;
	}
	size_t w[6];
	for (int k = 0; k < 6; k++)
		w[k] = width_of(head[k]);
	for (int i = 0; i < n; i++) {
		const char **r = cells + (size_t)i * 6;
		r[0] = trimmed(ds[i].name, 30, tbuf + (size_t)i * 2048, 1024);
		r[1] = when[i];
		r[2] = parts[i];
		r[3] = ds[i].group_col;
		r[4] = ds[i].ts_col;
		r[5] = trimmed(ds[i].basepath, 50, tbuf + (size_t)i * 2048 + 1024, 1024);
		for (int k = 0; k < 6; k++)
			if (width_of(r[k]) > w[k])
				w[k] = width_of(r[k]);
	}
	for (int k = 0; k < 6; k++) {
		if (k)
			printf("  ");
		size_t extra = w[k] - width_of(head[k]);
		if (k == 2)
			pad(extra);
		fputs(head[k], stdout);
		if (k != 2 && k != 5)
			pad(extra);
	}
	putchar('\n');
	for (int k = 0; k < 6; k++) {
		if (k)
			printf("  ");
		for (size_t d = 0; d < w[k]; d++)
			putchar('-');
	}
	putchar('\n');
	for (int i = 0; i < n; i++) {
		const char **r = cells + (size_t)i * 6;
		for (int k = 0; k < 6; k++) {
			if (k)
				printf("  ");
			size_t extra = w[k] - width_of(r[k]);
			if (k == 2)
				pad(extra);
			fputs(r[k], stdout);
			if (k != 2 && k != 5)
				pad(extra);
		}
		putchar('\n');
	}
done:
	fr_catalog_close(cat);
	fr_arena_free(a);
	fr_invoker_free(inv);
	return rc;
}

/* ---- info ---- */

int fr_cmd_info(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "full", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int full = 0, c;
	reset_getopt();
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'F': full = 1; break;
		case 'h':
			printf("usage: frocket info DATASET [--full]\n\n"
			       "Prints three JSON documents: the dataset's basic information, its parts\n"
			       "and its schema (short, or full with --full).\n");
			return 0;
		default:
			fprintf(stderr, "usage: frocket info DATASET [--full]\n");
			return 2;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "frocket info: expected one DATASET\n"
		        "usage: frocket info DATASET [--full]\n");
		return 2;
	}
	const char *name = argv[optind];
	fr_invoker *inv;
	int rc = fr_cli_invoker("info", &inv);
	if (rc)
		return rc;
	fr_err err = { 0 };
	fr_catalog *cat = NULL;
	fr_arena *a = fr_arena_new(0);
	fr_dataset *ds = NULL;
	fr_dschema *s = NULL;
	fr_buf b = FR_BUF_INIT;
	if (!a || (rc = fr_invoker_catalog(inv, &cat, &err)) ||
	    (rc = fr_catalog_get(cat, name, FR_DS_PARTS | FR_DS_SCHEMA, a, &ds, &err))) {
		if (rc == FR_ENOTFOUND)
			fprintf(stderr, "Dataset '%s' not found!\n", name);
		else
			fprintf(stderr, "frocket info: %s\n", a ? err.msg : "out of memory");
		rc = 1;
		goto done;
	}
	if ((rc = fr_dschema_parse(ds->schema_json, strlen(ds->schema_json), a, &s, &err))) {
		fprintf(stderr, "frocket info: dataset '%s': stored schema: %s\n", name, err.msg);
		rc = 1;
		goto done;
	}
	/* CLI flavour (interfaces.md §0.3): record order, nulls kept. */
	int pretty = fr_cli.pretty;
	fr_jw w;
	fr_jw_init(&w, &b, pretty);
	fr_dataset_write_info(&w, ds, 0);
	int bad = fr_jw_status(&w) || fr_buf_putc(&b, '\n');
	fr_jw_init(&w, &b, pretty);
	fr_dataset_write_parts(&w, ds, 0);
	bad = bad || fr_jw_status(&w) || fr_buf_putc(&b, '\n');
	if (!bad && (full ? fr_dschema_write_full(s, &b, pretty) :
	             fr_dschema_write_short(s, &b, pretty)))
		bad = 1;
	if (bad) {
		fprintf(stderr, "frocket info: out of memory\n");
		rc = 1;
		goto done;
	}
	fwrite(b.data, 1, b.len, stdout);
	putchar('\n');
done:
	fr_buf_free(&b);
	fr_catalog_close(cat);
	fr_arena_free(a);
	fr_invoker_free(inv);
	return rc;
}

/* ---- config ---- */

extern char **environ;

int fr_cmd_config(int argc, char **argv)
{
	if (argc > 1) {
		if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
			printf("usage: frocket config\n\nPrints the effective configuration: every "
			       "key with its value from FROCKET_* or its default.\n");
			return 0;
		}
		fprintf(stderr, "frocket config: unexpected argument '%s'\nusage: frocket config\n",
		        argv[1]);
		return 2;
	}
	fr_buf b = FR_BUF_INIT;
	fr_jw w;
	fr_jw_init(&w, &b, fr_cli.pretty);
	fr_jw_open(&w, '{');
	/* every setting the programs read (core/config's table), with its effective value */
	const char *key, *def;
	for (size_t i = 0; (key = fr_config_known(i, &def)); i++) {
		char cores[24];
		fr_jw_key(&w, key);
		if (!strcmp(key, "log.level") && fr_cli.loglevel) {
			fr_jw_str(&w, fr_cli.loglevel);
			continue;
		}
		if (!strcmp(key, "local.threads")) {
			long n = sysconf(_SC_NPROCESSORS_ONLN);
			snprintf(cores, sizeof cores, "%ld", n > 0 ? n : 1);
			def = cores;
		}
		fr_jw_str(&w, fr_config_str(key, def));
	}
	/* then every other FROCKET_* variable, as its key (read by nothing: shown so a typo
	 * in a variable's name can be seen) */
	for (char **e = environ; *e; e++) {
		if (strncmp(*e, "FROCKET_", 8))
			continue;
		const char *eq = strchr(*e, '=');
		if (!eq || eq[1] == 0)
			continue;
		char ekey[256];
		size_t k = 0;
		for (const char *p = *e + 8; p < eq && k + 1 < sizeof ekey; p++)
			ekey[k++] = *p == '_' ? '.' : (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
		ekey[k] = 0;
		int known = 0;
		const char *kk;
		for (size_t i = 0; !known && (kk = fr_config_known(i, NULL)); i++)
			known = !strcmp(kk, ekey);
		if (known)
			continue;
		fr_jw_key(&w, ekey);
		/* passwords, tokens, secret keys (FROCKET_REDIS_PASSWORD,
		 * FROCKET_APISERVER_AUTH_TOKEN, FROCKET_*_SECRET_ACCESS_KEY, session tokens): say
		 * they are set, never show them */
		int secret = strstr(ekey, "password") || strstr(ekey, "token") ||
		             strstr(ekey, "secret");
		fr_jw_str(&w, secret ? "(set)" : eq + 1);
	}
	fr_jw_close(&w, '}');
	int rc = 0;
	if (fr_jw_status(&w)) {
		fprintf(stderr, "frocket config: out of memory\n");
		rc = 1;
	} else {
		fwrite(b.data, 1, b.len, stdout);
		putchar('\n');
	}
	fr_buf_free(&b);
	return rc;
}
