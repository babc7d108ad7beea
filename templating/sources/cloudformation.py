"""SES templates defined as `AWS::SES::Template` resources in CloudFormation templates (YAML or JSON).

    Resources:
      Welcome:
        Type: AWS::SES::Template
        Properties:
          Template: {TemplateName, SubjectPart, HtmlPart, TextPart}

Parts may be plain strings or intrinsic functions in their short (`!Sub`) or long (`Fn::Sub`) form. `Fn::Sub` is
resolved when every `${Name}` is given a literal value in its variable map (`${!Literal}` is the escape for a literal
`${Literal}`; Handlebars' `{{x}}` is not touched), `Fn::Join` when its pieces resolve. A `Ref`, `Fn::GetAtt`, pseudo
parameter or any other function stays unresolved: an S102 finding names the property and the part is checked with
the marker `${Name}` in its place.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from templating.catalogue import finding
from templating.loaders import JsonLocator, LoadProblem, name_problem, parse_json
from templating.model import PartName
from templating.sources.infra import PartText, Position, SourceResult, Unresolved, build_template, laid_out_origin

SES_TEMPLATE_TYPE = "AWS::SES::Template"
YAML_SUFFIXES = (".yaml", ".yml", ".template")
PART_PROPERTIES: dict[PartName, str] = {"subject": "SubjectPart", "html": "HtmlPart", "text": "TextPart"}
TEMPLATE_PROPERTIES = ("TemplateName", *PART_PROPERTIES.values())
SUBSTITUTION = re.compile(r"\$\{([^}]*)\}")

Pointer = tuple[str | int, ...]


def is_cloudformation_json(value: Any) -> bool:
    """Whether parsed JSON is a CloudFormation template rather than an SES template file."""
    if not isinstance(value, dict) or "Template" in value or "TemplateName" in value:
        return False
    return "AWSTemplateFormatVersion" in value or isinstance(value.get("Resources"), dict)


def mentions_ses_templates(text: str) -> bool:
    """A cheap test that lets the loader skip YAML files (CI configs, compose files) that cannot define one."""
    return SES_TEMPLATE_TYPE in text


# ------------------------------------------------------------------------------------------------ located documents


class Document:
    """A parsed CloudFormation template: `value` in long form (short tags become `{"Fn::Sub": ...}`), and where each
    value is written."""

    def __init__(self, text: str, value: Any) -> None:
        self.text = text
        self.value = value
        self.lines = text.split("\n")

    def position(self, pointer: Pointer) -> Position:
        """1-based line and column where the value at `pointer` starts (its quote, for a quoted string)."""
        raise NotImplementedError

    def content_start(self, pointer: Pointer) -> Position:
        """Where the characters of the string at `pointer` start."""
        raise NotImplementedError

    def string_origin(self, pointer: Pointer, text: str) -> Position:
        line, column = self.content_start(pointer)
        if line <= 0:
            return self.position(pointer)
        return laid_out_origin(self.lines, (line, column), text)


class JsonDocument(Document):
    def __init__(self, text: str, value: Any) -> None:
        super().__init__(text, value)
        self.locator = JsonLocator(text)

    def position(self, pointer: Pointer) -> Position:
        return self.locator.position(pointer)

    def content_start(self, pointer: Pointer) -> Position:
        line, column = self.locator.position(pointer)
        return (line, column + 1) if line else (0, 0)


class YamlDocument(Document):
    def __init__(self, text: str) -> None:
        import yaml

        self.nodes: dict[Pointer, Any] = {}
        self._constructor = yaml.constructor.SafeConstructor()
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        super().__init__(text, None if root is None else self._convert(root, ()))

    def _convert(self, node: Any, pointer: Pointer) -> Any:
        import yaml

        self.nodes[pointer] = node
        if node.tag.startswith("!"):
            name = node.tag[1:] if node.tag in ("!Ref", "!Condition") else "Fn::" + node.tag[1:]
            inner_pointer = (*pointer, name)
            self.nodes[inner_pointer] = node
            if isinstance(node, yaml.ScalarNode):
                return {name: node.value}
            plain = type(node)(
                "tag:yaml.org,2002:seq" if isinstance(node, yaml.SequenceNode) else "tag:yaml.org,2002:map",
                node.value,
                node.start_mark,
                node.end_mark,
                node.flow_style,
            )
            return {name: self._convert_children(plain, inner_pointer)}
        return self._convert_children(node, pointer)

    def _convert_children(self, node: Any, pointer: Pointer) -> Any:
        import yaml

        if isinstance(node, yaml.MappingNode):
            mapping: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = str(key_node.value)
                mapping[key] = self._convert(value_node, (*pointer, key))
            return mapping
        if isinstance(node, yaml.SequenceNode):
            return [self._convert(item, (*pointer, index)) for index, item in enumerate(node.value)]
        if node.tag == "tag:yaml.org,2002:str":
            return node.value
        return self._constructor.construct_object(node, deep=True)

    def position(self, pointer: Pointer) -> Position:
        node = self.nodes.get(pointer)
        if node is None:
            return (0, 0)
        return node.start_mark.line + 1, node.start_mark.column + 1

    def content_start(self, pointer: Pointer) -> Position:
        node = self.nodes.get(pointer)
        style = getattr(node, "style", None)
        if node is None or not isinstance(node.value, str):
            return (0, 0)
        line, column = node.start_mark.line + 1, node.start_mark.column + 1
        if style in ("|", ">"):
            return self._block_start(line)
        if node.tag.startswith("!"):  # `!Sub "..."`: the string follows the tag on the same line
            text = self.lines[line - 1]
            column += len(node.tag)
            while column - 1 < len(text) and text[column - 1] in " \t":
                column += 1
            if column - 1 >= len(text):
                return (0, 0)
        return (line, column + 1) if style in ('"', "'") else (line, column)

    def _block_start(self, indicator_line: int) -> Position:
        """The first content line of a block scalar `|` and its indentation."""
        for index in range(indicator_line, len(self.lines)):
            stripped = self.lines[index].lstrip(" ")
            if stripped.strip():
                return indicator_line + 1, len(self.lines[index]) - len(stripped) + 1
        return indicator_line + 1, 1


def parse_document(path: Path, text: str) -> Document:
    """The file as a Document; raises LoadProblem (S101) when it is not valid YAML or JSON."""
    if path.name.endswith(".json"):
        try:
            return JsonDocument(text, parse_json(text))
        except LoadProblem as problem:
            raise LoadProblem("S101", f"CloudFormation JSON: {problem.message}", problem.line, problem.column) from None
    if text.lstrip("\ufeff \t\r\n").startswith("{"):  # a `.template` file is often JSON; YAML reads it less well
        try:
            return JsonDocument(text, parse_json(text))
        except LoadProblem:
            pass
    import yaml

    try:
        return YamlDocument(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        raise LoadProblem("S101", f"invalid YAML: {exc.problem or exc}", line, column) from None
    except yaml.YAMLError as exc:
        raise LoadProblem("S101", f"invalid YAML: {exc}") from None


# ------------------------------------------------------------------------------------------- intrinsic functions


class Resolver:
    """Turns a property value (string or intrinsic function) into a part's text and its unresolved pieces."""

    def __init__(self, document: Document) -> None:
        self.document = document

    def part(self, value: Any, pointer: Pointer) -> PartText | None:
        """None when the value cannot be a part at all (a number, a list)."""
        unresolved: list[Unresolved] = []
        text = self.resolve(value, pointer, unresolved)
        if text is None:
            return None
        origin_pointer = self._text_pointer(value, pointer)
        if origin_pointer is None:
            line, column = self.document.position(pointer)
            return PartText(text, unresolved, (line, -column) if line else None)
        origin = self.document.string_origin(origin_pointer, text)
        return PartText(text, unresolved, origin if origin[0] else None)

    def _text_pointer(self, value: Any, pointer: Pointer) -> Pointer | None:
        """The string that holds the part's text, when one does (a plain string, or a `Fn::Sub` template)."""
        if isinstance(value, str):
            return pointer
        if isinstance(value, dict) and list(value) == ["Fn::Sub"]:
            argument = value["Fn::Sub"]
            if isinstance(argument, str):
                return (*pointer, "Fn::Sub")
            if isinstance(argument, list) and argument and isinstance(argument[0], str):
                return (*pointer, "Fn::Sub", 0)
        return None

    def resolve(self, value: Any, pointer: Pointer, unresolved: list[Unresolved]) -> str | None:
        if isinstance(value, str):
            return value
        if not isinstance(value, dict) or len(value) != 1:
            return None
        ((function, argument),) = value.items()
        where = self.document.position(pointer)
        if function == "Fn::Sub":
            return self._sub(argument, pointer, unresolved)
        if function == "Fn::Join":
            return self._join(argument, (*pointer, function), unresolved)
        marker = "${" + _reference_name(function, argument) + "}"
        unresolved.append(
            Unresolved(marker, f"{_describe_function(function, argument)} is not known from the file", where)
        )
        return marker

    def _sub(self, argument: Any, pointer: Pointer, unresolved: list[Unresolved]) -> str | None:
        variables: dict[str, Any] = {}
        template_pointer: Pointer = (*pointer, "Fn::Sub")
        if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], dict):
            argument, variables = argument[0], argument[1]
            template_pointer = (*template_pointer, 0)
        if not isinstance(argument, str):
            return None
        where = self.document.position(template_pointer)

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                variable_pointer = (*pointer, "Fn::Sub", 1, name)
                value = self.resolve(variables[name], variable_pointer, unresolved)
                if value is not None:
                    return value
            reason = _describe_substitution(name, name in variables)
            unresolved.append(Unresolved("${" + name + "}", reason, where))
            return "${" + name + "}"

        return SUBSTITUTION.sub(substitute, argument)

    def _join(self, argument: Any, pointer: Pointer, unresolved: list[Unresolved]) -> str | None:
        if not (isinstance(argument, list) and len(argument) == 2 and isinstance(argument[0], str)):
            return None
        delimiter, items = argument
        if not isinstance(items, list):
            where = self.document.position((*pointer, 1))
            marker = "${" + _reference_name("Fn::Join", items) + "}"
            unresolved.append(Unresolved(marker, "the list of Fn::Join is not known from the file", where))
            return marker
        pieces = [self.resolve(item, (*pointer, 1, index), unresolved) for index, item in enumerate(items)]
        if any(piece is None for piece in pieces):
            return None
        return delimiter.join(piece for piece in pieces if piece is not None)


def _reference_name(function: str, argument: Any) -> str:
    if function == "Ref" and isinstance(argument, str):
        return argument
    if function == "Fn::GetAtt":
        if isinstance(argument, str):
            return argument
        if isinstance(argument, list) and all(isinstance(item, str) for item in argument):
            return ".".join(argument)
    return function


def _describe_function(function: str, argument: Any) -> str:
    if function == "Ref" and isinstance(argument, str):
        kind = "pseudo parameter" if argument.startswith("AWS::") else "parameter or resource"
        return f"Ref to the {kind} {argument!r}"
    if function == "Fn::GetAtt":
        return f"Fn::GetAtt {_reference_name(function, argument)!r}"
    return f"{function} (evaluated by CloudFormation at deploy time)"


def _describe_substitution(name: str, in_variables: bool) -> str:
    if in_variables:
        return f"Fn::Sub variable ${{{name}}} has a value that is not known from the file"
    if name.startswith("AWS::"):
        return f"Fn::Sub uses the pseudo parameter ${{{name}}}"
    return f"Fn::Sub uses ${{{name}}}, a parameter, resource or attribute"


# ------------------------------------------------------------------------------------------------------- resources


class CloudFormationReader:
    def __init__(self, path: Path, document: Document) -> None:
        self.path = path
        self.document = document
        self.resolver = Resolver(document)
        self.result = SourceResult()

    def problem(self, code: str, message: str, pointer: Pointer, name: str | None = None) -> None:
        line, column = self.document.position(pointer) if pointer else (0, 0)
        self.result.findings.append(finding(code, message, self.path, line, column, template=name))

    def read(self) -> SourceResult:
        resources = self.document.value.get("Resources") if isinstance(self.document.value, dict) else None
        if not isinstance(resources, dict):
            return self.result
        for logical_id, resource in resources.items():
            if isinstance(resource, dict) and resource.get("Type") == SES_TEMPLATE_TYPE:
                self.read_resource(logical_id, resource, ("Resources", logical_id))
        return self.result

    def read_resource(self, logical_id: str, resource: dict[str, Any], pointer: Pointer) -> None:
        properties = resource.get("Properties")
        template = properties.get("Template") if isinstance(properties, dict) else None
        if not isinstance(template, dict):
            message = f"resource {logical_id!r}: Properties.Template must be an object with TemplateName and parts"
            self.problem("S103", message, pointer)
            return
        template_pointer = (*pointer, "Properties", "Template")
        name = self.read_name(logical_id, template, template_pointer)
        if name is None:
            return
        for key in template:
            if key not in TEMPLATE_PROPERTIES:
                message = f"unknown property {key!r} is ignored (expected: {', '.join(TEMPLATE_PROPERTIES)})"
                self.problem("L112", message, (*template_pointer, key), name)
        parts: dict[PartName, PartText] = {}
        for part, key in PART_PROPERTIES.items():
            if template.get(key) is None:
                continue
            part_text = self.resolver.part(template[key], (*template_pointer, key))
            if part_text is None:
                message = f"{key} must be a string, Fn::Sub or Fn::Join; it is {_describe(template[key])}"
                self.problem("S103", message, (*template_pointer, key), name)
                return
            parts[part] = part_text
        name_position = self.document.position((*template_pointer, "TemplateName"))
        build_template(
            name, self.path, "cloudformation", parts, self.result, name_position, property_names=PART_PROPERTIES
        )

    def read_name(self, logical_id: str, template: dict[str, Any], pointer: Pointer) -> str | None:
        name_pointer = (*pointer, "TemplateName")
        if template.get("TemplateName") is None:
            message = f"resource {logical_id!r} has no TemplateName: CloudFormation makes one up at deploy time"
            self.problem("S104", message, pointer)
            return None
        unresolved: list[Unresolved] = []
        name = self.resolver.resolve(template["TemplateName"], name_pointer, unresolved)
        if name is None or unresolved:
            reasons = "; ".join(piece.reason for piece in unresolved) or "not a string"
            self.problem("S104", f"resource {logical_id!r}: TemplateName is not a literal ({reasons})", name_pointer)
            return None
        self.result.declared_names.add(name)
        problem = name_problem(name)
        if problem is not None:
            self.problem("L106", problem, name_pointer)
            return None
        return name


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "the function " + ", ".join(value) if value else "an empty object"
    return json.dumps(value, default=str)[:40]


def read_cloudformation(path: Path, text: str, parsed_json: Any = None) -> SourceResult:
    """The SES templates of one CloudFormation file (YAML, or JSON already parsed by the loader). Problems are
    findings; a file without `AWS::SES::Template` resources yields nothing."""
    result = SourceResult()
    try:
        document = JsonDocument(text, parsed_json) if parsed_json is not None else parse_document(path, text)
        return CloudFormationReader(path, document).read()
    except LoadProblem as problem:
        result.findings.append(finding(problem.code, problem.message, path, problem.line, problem.column))
    except RecursionError:
        result.findings.append(finding("S101", "the file is nested too deeply (or an alias refers to itself)", path))
    return result
