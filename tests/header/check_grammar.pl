#!/usr/bin/perl
# Checks every OAI_API declaration of the public headers against the naming
# grammar and the type rules written in include/oai.h's conventions ("Names:
# one grammar", "Types"). The only names allowed outside the grammar are the
# deprecated aliases, and they must carry OAI_DEPRECATED("use oai_x") naming
# a declared, non-deprecated replacement.
#
#   check_grammar.pl include/oai.h include/oai/transport.h
#
# Uses only Perl's core (perl-base is part of every Debian system). When the
# API grows a new noun, resource, action or leading word, add it to the lists
# below: that is the point of the test, every new name is a decision.
use strict;
use warnings;

# --- the grammar's vocabulary -------------------------------------------------

# Handles (typedef struct oai_NOUN oai_NOUN), plus `status` for oai_status.
# The header's conventions list the same nouns; the test compares the two.
my @nouns = qw(client request response value call event sse stream large_upload pager
               training_report batch_writer batch_reader transport exchange webhook tokenizer status);
# Functions that only make sense on one kind of a handle: name => handle.
my %kinds = (chat_request => 'request');
# Library-wide functions: no noun.
my %library = map { $_ => 1 } qw(oai_version oai_version_check oai_free oai_set_allocator);
# Constructor variants: oai_NOUN_VARIANT_new.
my %variants = (transport => ['curl'], training_report => ['buffer', 'exact', 'buffer_exact'], client => ['azure'], tokenizer => ['model']);
# Endpoint helpers: oai_RESOURCE_ACTION_request_new (the resource singular).
my @resources = qw(chat_completion completion response embedding model file upload
                   fine_tuning_job batch);
my @actions = qw(create create_from_data retrieve retrieve_content list list_events
                 list_checkpoints delete cancel pause resume complete add_part);
# The first word of what follows the noun: a verb (send, set, get, ...) or
# the property an accessor returns (text, header, ...).
my @words = qw(
    new free clone set get is has wants add remove take next feed finish
    send start poll wakeup cancel socket run resume follow upload warm wait
    read rewind receive report complete fail verify unwrap answer
    status error http header body json text embedding request retry total first
    method path query url proxy ca connect host
    type string int number bool count item key
    choice tool name data result id part line problem example stat message base response
    parsed refusal);

# --- reading the headers -------------------------------------------------------

my (@decls, %typedef_struct, %typedef_enum, $conventions);
for my $file (@ARGV) {
    open my $fh, '<', $file or die "check_grammar: cannot read $file: $!\n";
    local $/;
    my $text = <$fh>;
    close $fh;
    $conventions .= $1 if $text =~ m{(\*\*Names: one grammar\*\*.*?)\*\*Types\.\*\*}s;
    $text =~ s{/\*.*?\*/}{ }gs;          # comments
    $text =~ s{//[^\n]*}{ }g;
    $text =~ s{^\s*#.*?(?<!\\)$}{ }gms;  # preprocessor lines
    $text =~ s{\\\n}{ }g;
    $typedef_struct{$1} = 1 while $text =~ /typedef\s+struct\s+(oai_\w+)\s+\1\s*;/g;
    $typedef_enum{$1} = 1 while $text =~ /typedef\s+enum\s+\w+\s*\{[^}]*\}\s*(oai_\w+)\s*;/g;
    while ($text =~ /(OAI_DEPRECATED\s*\(\s*"([^"]*)"\s*\)\s*)?OAI_API\s+([^;{}]*?)\b(oai_\w+)\s*\(([^)]*)\)\s*;/g) {
        my ($deprecated, $message, $ret, $name, $params) = (defined $1, $2, $3, $4, $5);
        $ret =~ s/\s+/ /g;
        $ret =~ s/^\s+|\s+$//g;
        $ret =~ s/\s*\*/ */g;
        my @params;
        for my $p (split /,/, $params) {
            $p =~ s/\s+/ /g;
            $p =~ s/^\s+|\s+$//g;
            $p =~ s/\s*\*\s*/ * /g;
            $p =~ s/ +/ /g;
            next if $p eq 'void' || $p eq '';
            my ($type, $pname) = $p =~ /^(.*?)\s*\b(\w+)$/ or die "check_grammar: cannot read parameter '$p' of $name\n";
            $type =~ s/\s+$//;
            push @params, { type => $type, name => $pname };
        }
        push @decls, { name => $name, ret => $ret, params => \@params, deprecated => $deprecated,
                       message => $message, file => $file };
    }
}
die "check_grammar: no OAI_API declaration found in @ARGV\n" unless @decls;

my @problems;
sub problem { push @problems, "$_[0]: $_[1]" }

my %declared = map { $_->{name} => $_ } @decls;
my $noun_re = join '|', sort { length $b <=> length $a } @nouns, keys %kinds;
my $res_re = join '|', sort { length $b <=> length $a } @resources;
my $act_re = join '|', sort { length $b <=> length $a } @actions;
my %word = map { $_ => 1 } @words;

# --- the written grammar and the test agree ------------------------------------

if (!$conventions) {
    problem('include/oai.h', 'the conventions comment has no "**Names: one grammar**" section');
} else {
    (my $c = $conventions) =~ s/\s*\n\s*\*\s*/ /g;
    my ($list) = $c =~ /Nouns: (.*?)(?:, and status| and status)/;
    my @written = map { s/^\s+|\s+$//gr } split /,/, ($list // '');
    my %w = map { $_ => 1 } @written, 'status';
    my %t = map { $_ => 1 } @nouns;
    for (sort keys %t) { problem('grammar', "noun '$_' is in the test but not in oai.h's conventions") unless $w{$_} }
    for (sort keys %w) { problem('grammar', "noun '$_' is in oai.h's conventions but not in the test") unless $t{$_} }
}
for my $t (sort keys %typedef_struct) {
    (my $n = $t) =~ s/^oai_//;
    problem($t, "handle type whose noun '$n' is not in the grammar's list") unless grep { $_ eq $n } @nouns;
}

# --- each declaration -------------------------------------------------------------

sub handle_type { my ($noun) = @_; return $noun eq 'status' ? 'oai_status' : "oai_$noun" }
sub is_integer { return $_[0] =~ /^(?:int|int64_t|size_t)$/ }

my ($checked, $aliases) = (0, 0);
for my $d (@decls) {
    my ($name, $ret, @p) = ($d->{name}, $d->{ret}, @{ $d->{params} });
    $checked++;
    if ($name !~ /^oai_[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/) {
        problem($name, 'not snake_case after the oai_ prefix (internal names use oai__)');
        next;
    }
    # FFI-clean signatures: no varargs, va_list, bool, long; enums other than
    # oai_status cross as int.
    for my $t ($ret, map { $_->{type} } @p) {
        problem($name, "type '$t' is not FFI-clean") if $t =~ /\.\.\.|va_list|\bbool\b|_Bool|\blong\b/;
        if (!$d->{deprecated}) {
            for my $e ($t =~ /\b(oai_\w+)\b/g) {
                problem($name, "enumeration $e in a signature: only oai_status crosses as its enum type, others as int")
                    if $typedef_enum{$e} && $e ne 'oai_status';
            }
        }
    }
    if ($d->{deprecated}) {
        $aliases++;
        my @repl = ($d->{message} // '') =~ /\b(oai_\w+)\b/g;
        problem($name, 'OAI_DEPRECATED message must be "use oai_x" naming the replacement')
            unless ($d->{message} // '') =~ /^use oai_/ && @repl;
        for my $r (@repl) {
            if (!$declared{$r}) { problem($name, "deprecated in favour of $r, which is not declared") }
            elsif ($declared{$r}{deprecated}) { problem($name, "deprecated in favour of $r, itself deprecated") }
        }
        next;
    }
    next if $library{$name};

    # Endpoint helpers.
    if ($name =~ /^oai_(\w+?)_request_new$/ && $name !~ /^oai_request_new$/) {
        my $stem = $1;
        if ($stem =~ /^($res_re)_($act_re)$/) {
            problem($name, "an endpoint helper returns oai_request *, not $ret") unless $ret eq 'oai_request *';
        } else {
            problem($name, 'an endpoint helper is oai_RESOURCE_ACTION_request_new with a known singular '
                         . 'resource and action (see the lists in tests/header/check_grammar.pl)');
        }
        next;
    }
    my ($noun, $member) = $name =~ /^oai_($noun_re)_(\w+)$/;
    if (!$noun) {
        problem($name, "its noun is not one of the grammar's ($noun_re), nor a library-wide function");
        next;
    }
    my $handle = $kinds{$noun} // $noun;
    my $htype = handle_type($handle);

    # Constructors: oai_NOUN_new, oai_NOUN_VARIANT_new; they take any arguments.
    if ($member =~ /^(?:(\w+)_)?new$/) {
        my $variant = $1;
        problem($name, "the variant '$variant' is not in the grammar's list for $noun")
            if defined $variant && !grep { $_ eq $variant } @{ $variants{$noun} // [] };
        problem($name, "a constructor returns $htype *, not $ret") unless $ret eq "$htype *";
        problem($name, "a constructor needs its destructor oai_${noun}_free") unless $declared{"oai_${noun}_free"};
        problem($name, 'kind-specific functions cannot be constructors') if $kinds{$noun};
        next;
    }
    # Every other function acts on its noun: the handle is the first parameter.
    my $first = @p ? $p[0]{type} : '';
    problem($name, "the first parameter must be the $htype it acts on, not '$first'")
        unless $first eq "$htype *" || $first eq "const $htype *" || ($noun eq 'status' && $first eq 'oai_status');

    my ($lead) = $member =~ /^([a-z0-9]+)/;
    problem($name, "'$lead' is not a known verb or property word (add it to \@words if it is one)")
        unless $word{$lead};
    problem($name, "'_on_' callbacks are spelled set_EVENT_callback") if $member =~ /(?:^|_)on_/;
    problem($name, "'_open'/'_close' are spelled _new/_free (and _finish for a status)")
        if $member =~ /^(?:open|close)$/;
    if ($member eq 'free') {
        problem($name, 'a destructor returns void and takes only the handle') unless $ret eq 'void' && @p == 1;
    }
    if ($member eq 'clone') {
        problem($name, "_clone returns $htype *") unless $ret eq "$htype *";
    }
    if ($member =~ /_dup$/) {
        problem($name, '_dup returns char * (memory for oai_free())') unless $ret eq 'char *';
    }
    if ($member =~ /(?:^|_)count$/) {
        problem($name, '_count returns an integer') unless is_integer($ret);
    }
    if ($member =~ /_len$/ && $member !~ /^set_/) {
        problem($name, '_len returns size_t') unless $ret eq 'size_t';
    }
    if ($member =~ /^(?:is|has|wants)_/) {
        problem($name, 'a predicate returns int (1 or 0)') unless $ret eq 'int';
    }
    if ($member eq 'status') {
        problem($name, '_status returns oai_status') unless $ret eq 'oai_status';
    }
    if ($member =~ /(?:^|_)error_message$/) {
        problem($name, '_error_message returns const char *') unless $ret eq 'const char *';
        problem($name, "an error message goes with oai_${noun}_status()")
            if $member eq 'error_message' && !$declared{"oai_${noun}_status"};
    }
    if ($member =~ /_of$/) {
        (my $type = "oai_${noun}_$member") =~ s/_of$//;
        problem($name, "'_of' is only for a name that is a type's ($type is none)")
            unless $typedef_enum{$type} || $typedef_struct{$type};
    }
    if ($member =~ /^get(?:_|$)/) {
        problem($name, "get_ means by JSON Pointer: the second parameter is 'const char * pointer'")
            unless @p >= 2 && $p[1]{type} eq 'const char *' && $p[1]{name} eq 'pointer';
    }
    if ($member =~ /(?:^|_)(?:ms|us)$/) {
        my $t = $member =~ /^set_/ ? $p[-1]{type} : $ret;
        problem($name, "a duration in _ms/_us is int64_t, not $t") unless $t eq 'int64_t';
    }
    # Callbacks: a function that stores a callback with its userdata is
    # set_EVENT_callback (with a version digit for a replacement).
    my $has_userdata = @p >= 2 && $p[-1]{type} eq 'void *' && $p[-1]{name} eq 'userdata' && $p[-2]{type} =~ /_fn$/;
    if ($member =~ /^set_/ && $has_userdata) {
        problem($name, 'a setter that takes a callback and its userdata is set_EVENT_callback')
            unless $member =~ /^set_\w+_callback\d?$/;
    }
    if ($member =~ /_callback\d?$/) {
        problem($name, 'set_EVENT_callback takes (handle, fn, userdata)') unless $has_userdata && @p == 3;
    }
    # Indexed families: a `size_t index` parameter goes with a _count.
    # The item may be several words (tool_call_id goes with tool_call_count).
    if (grep { $_->{type} eq 'size_t' && $_->{name} eq 'index' } @p) {
        my @w = split /_/, $member;
        my @items = map { join '_', @w[0 .. $_] } 0 .. $#w;
        problem($name, "an indexed accessor needs oai_${noun}_ITEM_count() (ITEM a leading part of its name) or oai_${noun}_count()")
            unless $declared{"oai_${noun}_count"} || grep { $declared{"oai_${noun}_${_}_count"} } @items;
    }
}

# Every plural helper, _on_ setter and out-parameter constructor of 0.1 is
# gone from the grammar's names: a name that is not deprecated cannot use
# them (checked above); report.
if (@problems) {
    print "FAIL: $_\n" for @problems;
    printf "check_grammar: %d problem%s in %d declarations\n", scalar @problems, @problems == 1 ? '' : 's', $checked;
    exit 1;
}
printf "ok: %d declarations follow the grammar (%d of them deprecated aliases, each naming its replacement)\n",
    $checked, $aliases;
exit 0;
