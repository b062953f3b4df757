# Third-party libraries, all from Debian packages (scripts/setup.sh installs them).
find_package(Threads REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(tomlplusplus 3 REQUIRED)  # --config files (harness/cli/cli_config.cpp)
find_package(SQLite3 REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(ZLIB REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(ONIG REQUIRED IMPORTED_TARGET oniguruma)
# The CPU engine's matrix products (cblas_sgemm) and the model server.
pkg_check_modules(OPENBLAS REQUIRED IMPORTED_TARGET openblas)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
pkg_check_modules(LIBARCHIVE REQUIRED IMPORTED_TARGET libarchive)  # data fetch: zip archives
# Unicode normalization (NFC) and character properties for the built-in tokenizer.
pkg_check_modules(ICU REQUIRED IMPORTED_TARGET icu-uc)
