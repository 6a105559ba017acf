# Shared by the scripts: installing what is missing, and finding the repository.
# shellcheck shell=bash

repo_root() { cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd; }

# Installs the Debian packages that are not installed yet; runs apt-get update once, only when needed.
ensure_packages() {
    local missing=()
    local package
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "installing: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

# What building and running Cicada needs: the C libraries the core links, zlib (for --hdr-log), pkg-config to find them, and
# Chart.js, which --html inlines into its report.
ensure_build_packages() { ensure_packages libuv1-dev libssl-dev zlib1g-dev pkg-config openssl libjs-chart.js; }

# What the tests need beyond that: an independent JSON Schema validator for the summary's schema, a
# real browser to open the HTML report in, and HdrHistogram's own Java tools (HistogramLogProcessor) to
# read --hdr-log files, with a Java runtime and Python's venv for the Python reader below.
ensure_test_packages() {
    ensure_packages python3-jsonschema chromium chromium-driver python3-venv libhdrhistogram-java default-jre-headless python3-prometheus-client
}

# PyPI's hdrhistogram, the Python reader of --hdr-log files; Selenium, which drives Debian's chromium (with
# chromium-driver) through the web UI's tests; and Locust, whose web API the Locust client test checks
# first against Locust itself; in a venv of the build folder (Debian's pip refuses to install into the
# system's Python). The tests run its python from there.
test_python_venv() { echo "$(repo_root)/.build/test-python"; }
ensure_test_python() {
    local venv
    venv="$(test_python_venv)"
    if "$venv/bin/python" -c 'import hdrh, selenium, locust' >/dev/null 2>&1; then return 0; fi
    echo "installing: hdrhistogram, selenium and locust (PyPI) into $venv"
    mkdir -p "$(dirname "$venv")"
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'hdrhistogram==0.10.8' 'selenium==4.27.1' 'locust==2.47.0'
}

# nginx for the integration tests and the demo, unless some nginx is already installed.
ensure_nginx() {
    if [ -x /usr/sbin/nginx ]; then return 0; fi
    ensure_packages nginx-light
    # Debian starts the packaged nginx on port 80; Cicada starts its own, so stop that one.
    if command -v systemctl >/dev/null 2>&1; then systemctl stop nginx >/dev/null 2>&1 || true; fi
    [ -f /run/nginx.pid ] && kill "$(cat /run/nginx.pid)" 2>/dev/null || true
}

# Each simulated user holds a socket: raise the open-files limit as far as the hard limit allows.
raise_open_files() { ulimit -n "$(ulimit -Hn)" 2>/dev/null || true; }

# A free TCP port on 127.0.0.1.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
