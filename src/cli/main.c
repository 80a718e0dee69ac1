/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mcsec: command-line face of libmcsec. Thin: finds the subcommand in the
 * tables, parses its options and hands over to its run function; every
 * behaviour is in the library or in the parsers of parse.c.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#ifndef MCSEC_VERSION
#define MCSEC_VERSION "dev"
#endif

/* Most options any subcommand has. */
#define CLI_MAX_OPTS 24

static const struct cli_command *const modules[] = {
    cli_uid_commands,    cli_sakke_commands, cli_eccsi_commands,     cli_mikey_inspect_commands,
    cli_mikey_commands,  cli_kms_commands,   cli_kms_token_commands, cli_client_commands,
    cli_gms_commands,    cli_ue_commands,    cli_server_commands,    cli_iwf_commands,
    cli_ue_kmm_commands,
};
#define N_MODULES (sizeof modules / sizeof modules[0])

/* "group" or "group name", as the user types it. */
static const char *label_of(const struct cli_command *c)
{
    static char label[64];
    snprintf(label, sizeof label, "%s%s%s", c->group, c->name ? " " : "", c->name ? c->name : "");
    return label;
}

static const char *metavar(const struct cli_opt *o)
{
    switch (o->kind) {
    case CLI_OPT_HEX: return "HEX";
    case CLI_OPT_U64: return "N";
    case CLI_OPT_TIME: return "TIME";
    case CLI_OPT_TEXT: return "TEXT";
    case CLI_OPT_FLAG: return "";
    }
    return "VALUE";
}

static void print_command_usage(FILE *f, const struct cli_command *c)
{
    fprintf(f, "usage: mcsec %s", label_of(c));
    for (size_t i = 0; i < c->n_opts; i++) {
        const struct cli_opt *o = &c->opts[i];
        bool req = (o->flags & CLI_OPT_REQUIRED) != 0;
        fprintf(f, " %s--%s%s%s%s", req ? "" : "[", o->name, o->kind == CLI_OPT_FLAG ? "" : " ",
                metavar(o), req ? "" : "]");
    }
    fprintf(f, "\n  %s\n", c->summary);
    for (size_t i = 0; i < c->n_opts; i++) {
        const struct cli_opt *o = &c->opts[i];
        fprintf(f, "  --%-10s %s", o->name, o->help);
        if (o->kind == CLI_OPT_HEX)
            fprintf(f, "%s",
                    o->flags & CLI_OPT_SECRET ? " (secret; @FILE or @- keeps it out of argv)"
                                              : " (or @FILE / @-)");
        fputc('\n', f);
    }
}

static void print_group_usage(FILE *f, const char *group)
{
    fprintf(f, "usage: mcsec %s <command> [options]; 'mcsec %s <command> --help' for details\n",
            group, group);
    for (size_t m = 0; m < N_MODULES; m++)
        for (const struct cli_command *c = modules[m]; c->group != NULL; c++)
            if (strcmp(c->group, group) == 0 && c->name != NULL)
                fprintf(f, "  %-14s %s\n", c->name, c->summary);
}

static void print_usage(FILE *f)
{
    fputs("usage: mcsec <command> [options]\n"
          "Each command prints one JSON object on stdout (octets as lowercase hex).\n"
          "Hex input takes either case; hex values may be read from a file (@FILE) or\n"
          "standard input (@-). Exit status: 0 success, 1 rejected (a key, signature or\n"
          "encapsulation failed its check), 2 bad usage or input, 3 internal failure.\n"
          "commands:\n",
          f);
    for (size_t m = 0; m < N_MODULES; m++)
        for (const struct cli_command *c = modules[m]; c->group != NULL; c++)
            fprintf(f, "  %-20s %s\n", label_of(c), c->summary);
    fputs("'mcsec <command> --help' describes a command's options; --version the version.\n", f);
}

/* The command entries of group, or NULL when no module has it. */
static const struct cli_command *find_command(const char *group, const char *name)
{
    for (size_t m = 0; m < N_MODULES; m++)
        for (const struct cli_command *c = modules[m]; c->group != NULL; c++)
            if (strcmp(c->group, group) == 0 &&
                (c->name == NULL || name == NULL || strcmp(c->name, name) == 0))
                return c;
    return NULL;
}

/*
 * A command name may be two words ("user add"): tries argv[0] argv[1] first,
 * then argv[0]. *used gets the number of words consumed.
 */
static const struct cli_command *find_subcommand(const char *group, int argc, char **argv,
                                                 int *used)
{
    char two[64];
    if (argc >= 2 && snprintf(two, sizeof two, "%s %s", argv[0], argv[1]) < (int)sizeof two) {
        const struct cli_command *c = find_command(group, two);
        if (c != NULL && c->name != NULL) {
            *used = 2;
            return c;
        }
    }
    *used = 1;
    return find_command(group, argv[0]);
}

static int run_command(const struct cli_command *cmd, int argc, char **argv)
{
    char label[80], msg[160];
    const char *texts[CLI_MAX_OPTS];
    struct cli_value values[CLI_MAX_OPTS];
    snprintf(label, sizeof label, "%s", label_of(cmd));
    if (cmd->n_opts > CLI_MAX_OPTS)
        return CLI_EXIT_INTERNAL;

    switch (cli_parse_args(texts, cmd->opts, cmd->n_opts, argc, argv, msg, sizeof msg)) {
    case CLI_ARGS_OK: break;
    case CLI_ARGS_HELP: print_command_usage(stdout, cmd); return CLI_EXIT_OK;
    case CLI_ARGS_UNKNOWN:
        cli_error(label, "%s (see 'mcsec %s --help')", msg, label);
        return CLI_EXIT_USAGE;
    case CLI_ARGS_ERROR: cli_error(label, "%s", msg); return CLI_EXIT_USAGE;
    }

    int status = cli_values_load(values, label, cmd, texts);
    if (status == CLI_EXIT_OK) {
        struct cli_json out;
        struct cli_run run = {label, values, &out};
        cli_json_begin(&out);
        status = cmd->run(&run);
        if (status == CLI_EXIT_OK && !cli_json_print(&out)) {
            cli_error(label, "cannot write the output");
            status = CLI_EXIT_INTERNAL;
        }
        cli_json_discard(&out); /* already freed when printed */
    }
    cli_values_free(values, cmd->n_opts);
    return status;
}

static bool is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0 || strcmp(arg, "help") == 0;
}

/* "mcsec GROUP [NAME] options...": picks the subcommand of a group. */
static int run_group(const char *group, int argc, char **argv)
{
    const struct cli_command *any = find_command(group, NULL);
    if (any->name == NULL)
        return run_command(any, argc, argv);
    if (argc == 0 || is_help(argv[0])) {
        print_group_usage(argc == 0 ? stderr : stdout, group);
        return argc == 0 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    int used = 0;
    const struct cli_command *cmd = find_subcommand(group, argc, argv, &used);
    if (cmd == NULL) {
        char label[64];
        snprintf(label, sizeof label, "%s", group);
        cli_error(label, "unknown command (see 'mcsec %s --help')", group);
        return CLI_EXIT_USAGE;
    }
    return run_command(cmd, argc - used, argv + used);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (is_help(argv[1])) {
        print_usage(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("mcsec %s\n", MCSEC_VERSION);
        return CLI_EXIT_OK;
    }
    if (find_command(argv[1], NULL) == NULL) {
        fprintf(stderr, "mcsec: unknown command (see 'mcsec --help')\n");
        return CLI_EXIT_USAGE;
    }
    return run_group(argv[1], argc - 2, argv + 2);
}
