/* How tosput reports what went wrong, and which exit code a failure gets: a failure the
 * user fixes in the configuration (endpoint, region, credentials) exits 3 with a hint of
 * what to set, whether it is found before anything is sent or the server refuses the
 * credentials. Secrets are never printed: only the names of the variables holding them. */
#include "tosput.h"

#include <stdlib.h>
#include <string.h>

/* The server's fields that it sent: S3 stores send no EC, and an answer that was not from an
 * object store (a web page) has none at all, its status being in the message already. */
static void print_server_fields(const tos_error *error) {
    const char *names[] = {"Code", "EC", "RequestId", "HostId"};
    const char *values[4];
    int i, any = 0;
    values[0] = tos_error_code(error);
    values[1] = tos_error_ec(error);
    values[2] = tos_error_request_id(error);
    values[3] = tos_error_host_id(error);
    for (i = 0; i < 4; i++) {
        any |= values[i][0] != '\0';
    }
    if (any) {
        fprintf(stderr, "tosput:   HTTP %u", (unsigned)tos_error_http_status(error));
        for (i = 0; i < 4; i++) {
            if (values[i][0] != '\0') {
                fprintf(stderr, ", %s %s", names[i], values[i]);
            }
        }
        fprintf(stderr, "\n");
    }
    if (tos_error_server_message(error)[0] != '\0') {
        fprintf(stderr, "tosput:   Message %s\n", tos_error_server_message(error));
    }
}

void tosput_print_error(const char *what, tos_result rc, const tos_error *error) {
    fprintf(stderr, "tosput: %s: %s: %s\n", what, tos_result_name(rc), error ? tos_error_message(error) : "");
    if (error != NULL && tos_error_is_server_error(error)) {
        print_server_fields(error);
    }
    if (error != NULL && tos_error_cause(error)[0] != '\0') {
        fprintf(stderr, "tosput:   cause: %s\n", tos_error_cause(error));
    }
}

int tosput_in_use(const char *what, tos_result rc, const tos_error *error) {
    tosput_print_error(what, rc, error);
    fprintf(stderr, "tosput: another run of this same command is working on its checkpoint; nothing was done "
                    "here. Run the command again once that one has ended\n");
    return EXIT_IN_USE;
}

static const char *variable(int s3, const char *tos_name, const char *aws_name) {
    return s3 ? aws_name : tos_name;
}

static int is_set(const char *name) {
    const char *value = getenv(name);
    return value != NULL && value[0] != '\0';
}

int tosput_check_credentials(const struct tosput_args *args) {
    const char *access = variable(args->s3, "TOS_ACCESS_KEY", "AWS_ACCESS_KEY_ID");
    const char *secret = variable(args->s3, "TOS_SECRET_KEY", "AWS_SECRET_ACCESS_KEY");
    if (args->anonymous) {
        return -1; /* TOS_CREDENTIALS_ANONYMOUS: the variables are not read */
    }
    if (is_set(access) && is_set(secret)) {
        return -1;
    }
    if (is_set(access) || is_set(secret)) {
        fprintf(stderr, "tosput: incomplete credentials: %s is set but %s is not; set both\n",
                is_set(access) ? access : secret, is_set(access) ? secret : access);
    } else {
        fprintf(stderr, "tosput: no credentials: set %s and %s%s, or pass --anonymous to send unsigned "
                        "requests (to a bucket that allows them)\n",
                access, secret, args->s3 ? "" : " (and TOS_REGION or --region)");
    }
    return EXIT_CLIENT;
}

/* The library names the proxy, the CA file or the client certificate in the messages about
 * them (see README.md, "Networks in the field"): the endpoint hint would mislead there. */
static int about_network_settings(const tos_error *error) {
    static const char *const words[] = {"proxy", "CA file", "CA certificate", "client certificate", "client key"};
    size_t i;
    for (i = 0; error != NULL && i < sizeof words / sizeof words[0]; i++) {
        if (strstr(tos_error_message(error), words[i]) != NULL) {
            return 1;
        }
    }
    return 0;
}

void tosput_print_client_error(const struct tosput_args *args, tos_result rc, const tos_error *error) {
    tosput_print_error("configuration", rc, error);
    if (about_network_settings(error)) {
        fprintf(stderr, "tosput:   check --proxy, --no-proxy, --ca-file, --client-cert, --client-key and the "
                        "HTTPS_PROXY, HTTP_PROXY, NO_PROXY, SSL_CERT_FILE variables\n");
    } else if (args->s3) {
        fprintf(stderr, "tosput:   set --endpoint or AWS_ENDPOINT_URL, --region or AWS_REGION, and "
                        "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY\n");
    } else {
        fprintf(stderr, "tosput:   set --endpoint or TOS_ENDPOINT, --region or TOS_REGION, and "
                        "TOS_ACCESS_KEY, TOS_SECRET_KEY\n");
    }
}

/* The server refused who we are, or what we may do: not something a rerun mends. */
static const char *auth_hint(const tos_error *error, int s3, int anonymous) {
    const char *code;
    unsigned status;
    if (error == NULL || !tos_error_is_server_error(error)) {
        return NULL;
    }
    code = tos_error_code(error);
    status = (unsigned)tos_error_http_status(error);
    if (strcmp(code, "SignatureDoesNotMatch") == 0) {
        return s3 ? "the secret key does not match the access key: check AWS_SECRET_ACCESS_KEY (and --region)"
                  : "the secret key does not match the access key: check TOS_SECRET_KEY (and --region)";
    }
    if (strcmp(code, "InvalidAccessKeyId") == 0) {
        return s3 ? "the server does not know the access key: check AWS_ACCESS_KEY_ID and the endpoint"
                  : "the server does not know the access key: check TOS_ACCESS_KEY and the endpoint";
    }
    if (strcmp(code, "ExpiredToken") == 0 || strcmp(code, "InvalidSecurityToken") == 0 ||
        strcmp(code, "InvalidToken") == 0 || strcmp(code, "TokenRefreshRequired") == 0) {
        return s3 ? "the security token was refused: renew AWS_SESSION_TOKEN"
                  : "the security token was refused: renew TOS_SECURITY_TOKEN";
    }
    if (strcmp(code, "RequestTimeTooSkewed") == 0) {
        return "this machine's clock is too far off the server's: set the time";
    }
    if (status == 407) {
        return "check the USER:PASSWORD of --proxy or of HTTPS_PROXY/HTTP_PROXY/ALL_PROXY";
    }
    if ((status == 401 || status == 403) && anonymous) {
        return "the bucket refuses unsigned requests (--anonymous): set credentials instead";
    }
    if (status == 401 || status == 403) {
        return "the credentials have no permission for this bucket or key";
    }
    return NULL;
}

int tosput_report_failed_file(const char *path, const char *key, const tos_error *error,
                              const struct tosput_args *args, int hinted) {
    static char shown_path[TOSPUT_SHOWN_MAX], shown_key[TOSPUT_SHOWN_MAX];
    fprintf(stderr, "tosput: failed: %s (key %s): %s: %s\n", tosput_shown(path, shown_path, sizeof shown_path),
            tosput_shown(key, shown_key, sizeof shown_key), tos_result_name(tos_error_result(error)),
            tos_error_message(error));
    return !hinted && tos_error_is_server_error(error) && tosput_auth_failure(error, args);
}

int tosput_auth_failure(const tos_error *error, const struct tosput_args *args) {
    const char *hint = auth_hint(error, args->s3, args->anonymous);
    if (hint == NULL) {
        return 0;
    }
    fprintf(stderr, "tosput: the %s refused the credentials: %s\n",
            tos_error_http_status(error) == 407 ? "proxy" : "server", hint);
    return 1;
}
