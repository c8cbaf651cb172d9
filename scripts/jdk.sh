# Sourced by ./armor and scripts/test.sh: finds a JDK that can build the project and exports JAVA_HOME.
# Order: $JAVA_HOME if it is new enough, then the newest JDK under /usr/lib/jvm.
# "New enough" is the compiler release of pom.xml (maven.compiler.release), read from there so the check and the
# build cannot disagree: javac refuses a --release newer than itself.
armor_min_jdk=$(sed -n 's:.*<maven.compiler.release>\([0-9]*\)</maven.compiler.release>.*:\1:p' \
  "$(dirname "${BASH_SOURCE[0]}")/../pom.xml" | head -n 1)
armor_min_jdk=${armor_min_jdk:-25}

armor_java_major() { # prints the feature version of the JDK at $1, or nothing
  local v
  [[ -x "$1/bin/java" && -x "$1/bin/javac" ]] || return 0
  v=$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p')
  [[ $v =~ ^[0-9]+$ ]] && echo "$v"
}

armor_find_jdk() {
  local cand major best="" best_major=0
  if [[ -n "${JAVA_HOME:-}" ]]; then
    major=$(armor_java_major "$JAVA_HOME")
    if [[ -n $major && $major -ge $armor_min_jdk ]]; then return 0; fi
  fi
  for cand in /usr/lib/jvm/*; do
    [[ -d $cand ]] || continue
    major=$(armor_java_major "$cand")
    if [[ -n $major && $major -ge $armor_min_jdk && $major -gt $best_major ]]; then best=$cand; best_major=$major; fi
  done
  if [[ -z $best ]]; then
    echo "armor: needs a JDK $armor_min_jdk or newer (the compiler release in pom.xml; Vector and FFM APIs); JAVA_HOME=${JAVA_HOME:-unset} is not one and none was found under /usr/lib/jvm. Install one (e.g. Temurin 25) and set JAVA_HOME." >&2
    return 1
  fi
  export JAVA_HOME=$best
}
