# Writes OUT, a C++ source defining `std::string_view NAME()` that returns the text of IN.
file(READ "${IN}" content)
file(WRITE "${OUT}" "#include <string_view>\nnamespace ${NAMESPACE} {\nstd::string_view ${NAME}() {\n  static constexpr char kText[] = R\"pc_embed(${content})pc_embed\";\n  return {kText, sizeof(kText) - 1};\n}\n}\n")
